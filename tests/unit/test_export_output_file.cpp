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

TEST_CASE("iot::exporter::OutputFile truncates its file, leaves stdout open and names a path it cannot create") {
  ScratchDir dir;
  const std::string path = dir.file("out.txt", "old content that is longer\n");
  {
    OutputFile file(path);
    CHECK(file.fd() > 2);
    CHECK(::write(file.fd(), "new\n", 4) == 4);
  }
  CHECK(slurp(path) == "new\n");
  {
    OutputFile out("-");
    CHECK(out.fd() == 1);
  }
  CHECK(::fcntl(1, F_GETFD) != -1); // stdout is still open
  try {
    OutputFile missing(dir.path("no/such/dir/out.txt"));
    FAIL("no error for a path in a missing directory");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::io);
    CHECK_THAT(e.what(), Catch::Contains("cannot create " + dir.path("no/such/dir/out.txt")));
  }
}
