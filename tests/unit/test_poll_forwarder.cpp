#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "iot/poll/forwarder.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
} // namespace

TEST_CASE("iot::poll::AlarmForwarder delivers alarm lines to the command") {
  char tmpl[] = "/tmp/iot-fwd-XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  {
    iot::poll::AlarmForwarder f("cat >>'" + (dir / "got").string() + "'", 0us);
    f.add(R"({"kind":"alarm","n":1})");
    f.close();
    CHECK(f.batches_sent() == 1);
  }
  CHECK(read_all(dir / "got") == "{\"kind\":\"alarm\",\"n\":1}\n");
  fs::remove_all(dir);
}

TEST_CASE("iot::poll::AlarmForwarder kills a command that outlives --alarm-timeout, with what it started") {
  char tmpl[] = "/tmp/iot-fwd-XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  const fs::path pids = dir / "pids";
  // The shell and a child of it both hang; both must be gone after the timeout.
  const std::string cmd = "sleep 1000 & echo $! >'" + pids.string() + "'; echo $$ >>'" + pids.string() + "'; wait";
  const auto start = std::chrono::steady_clock::now();
  {
    iot::poll::AlarmForwarder f(cmd, 0us, 300ms);
    f.add(R"({"kind":"alarm"})");
    f.close(); // returns once the command is killed, not after 1000 s
  }
  // A generous upper bound: the timeout is 300 ms, SIGKILL follows a second after SIGTERM.
  CHECK(std::chrono::steady_clock::now() - start < 60s);
  std::ifstream in(pids);
  pid_t child = 0, shell = 0;
  in >> child >> shell;
  REQUIRE(child > 0);
  REQUIRE(shell > 0);
  // The shell was reaped by the forwarder; the orphaned sleep was killed with the group
  // (it may linger as a zombie until init reaps it, so wait for that).
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    const std::string stat = read_all("/proc/" + std::to_string(child) + "/stat");
    gone = stat.empty() || stat.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(50ms);
  }
  CHECK(gone);
  fs::remove_all(dir);
}
