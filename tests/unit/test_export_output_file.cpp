#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "iot/core/error.hpp"
#include "iot/export/output_file.hpp"

#include "export_test_util.hpp"

using namespace iot;
using namespace iot::exporter;
using export_test::ScratchDir;
using export_test::slurp;

TEST_CASE("iot::exporter::OutputLines truncates its file, leaves stdout open and names a path it cannot create") {
  ScratchDir dir;
  const std::string path = dir.file("out.txt", "old content that is longer\n");
  {
    OutputLines out(path);
    out.sink().write_line("new");
    out.sink().begin_line() += "unflushed";
    out.sink().end_line(); // written when `out` goes, before its file closes
  }
  CHECK(slurp(path) == "new\nunflushed\n");
  { OutputLines out("-"); }
  CHECK(::fcntl(1, F_GETFD) != -1); // stdout is still open
  try {
    OutputLines missing(dir.path("no/such/dir/out.txt"));
    FAIL("no error for a path in a missing directory");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::io);
    CHECK_THAT(e.what(), Catch::Contains("cannot create " + dir.path("no/such/dir/out.txt")));
  }
}
