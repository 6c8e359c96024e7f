#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "iot/export/input.hpp"

#include "export_test_util.hpp"

using namespace iot;
using namespace iot::exporter;
using export_test::ScratchDir;

namespace {
std::vector<std::string> kinds_and_devices(RecordInput& input) {
  std::vector<std::string> seen;
  input.for_each([&](const Record& r) {
    seen.push_back(std::string(record_kind_name(r.kind)) + " " + std::string(r.obj["device"].get_string().value()));
  });
  return seen;
}
} // namespace

TEST_CASE("iot::exporter::RecordInput unwraps mqtt envelopes whose payload is a record") {
  ScratchDir dir;
  std::string in =
      R"({"ts":"2026-11-21T08:00:00.100Z","kind":"mqtt","topic":"site/r","payload":{"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d1","point":"p","value":1},"qos":1,"retain":false})"
      "\n"
      R"({"ts":"2026-11-21T08:00:00.200Z","kind":"mqtt","topic":"site/x","payload":"hello","qos":0,"retain":false})"
      "\n"
      R"({"ts":"2026-11-21T08:00:00.300Z","kind":"mqtt","topic":"site/s","payload":{"ts":"2026-11-21T08:00:00.000Z","kind":"stats","tool":"iot-poll"}})"
      "\n"
      R"({"ts":"2026-11-21T08:00:01.000Z","kind":"frame","hex":"00"})"
      "\n"
      R"({"ts":"2026-11-21T08:00:02.000Z","kind":"frame","hex":"01"})"
      "\n"
      R"({"ts":"2026-11-21T08:00:03.000Z","kind":"write","device":"d2","ok":true})"
      "\n";
  std::string path = dir.file("in.jsonl", in);
  {
    RecordInput input({path}, false);
    CHECK(kinds_and_devices(input) == std::vector<std::string>{"reading d1"});
    CHECK(input.skipped() == 5);
    CHECK(input.skipped_kinds().at("mqtt") == 1);
    CHECK(input.skipped_kinds().at("stats") == 1);
    CHECK(input.skipped_kinds().at("frame") == 2);
    CHECK(input.skipped_kinds().at("write") == 1);
    CHECK(input.exit_code() == ExitCode::ok);
  }
  {
    RecordInput input({path}, false);
    input.accept(RecordKind::write);
    CHECK(kinds_and_devices(input) == std::vector<std::string>{"reading d1", "write d2"});
  }
}

TEST_CASE("iot::exporter::RecordInput ticks while a pipe stays open and idle") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  // Read the pipe as stdin would be read.
  int saved = ::dup(0);
  ::dup2(fds[0], 0);
  ::close(fds[0]);
  std::string line = R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p","value":1})"
                     "\n";
  std::thread writer([&] {
    REQUIRE(::write(fds[1], line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    // Keep the pipe open, idle, until the reader has ticked with the record in hand.
  });
  RecordInput input({}, false);
  int records = 0;
  int ticks_after_record = 0;
  input.set_tick(std::chrono::milliseconds(20), [&] {
    if (records == 1 && ++ticks_after_record == 3) ::close(fds[1]); // end of input
  });
  input.for_each([&](const Record&) { ++records; });
  writer.join();
  ::dup2(saved, 0);
  ::close(saved);
  CHECK(records == 1);
  CHECK(ticks_after_record == 3);
}
