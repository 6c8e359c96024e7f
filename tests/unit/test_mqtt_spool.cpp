#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "iot/core/error.hpp"
#include "iot/mqtt/spool.hpp"

using namespace iot::mqtt;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/iot-unit-spool.XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};
} // namespace

TEST_CASE("iot::mqtt::Spool lock") {
  TempDir dir;
  SpoolOptions o;
  o.dir = dir.path;
  Spool first(o);
  try {
    Spool second(o);
    FAIL("a second Spool on one folder must be refused");
  } catch (const iot::Error& e) {
    CHECK(e.kind() == iot::ErrorKind::io);
    CHECK(std::string(e.what()).find("is in use by another process (pid " + std::to_string(::getpid()) + ")") !=
          std::string::npos);
  }
}

TEST_CASE("iot::mqtt::Spool") {
  TempDir dir;
  SpoolOptions o;
  o.dir = dir.path;
  o.max_bytes = 1 << 20;
  o.segment_bytes = 4096;
  {
    Spool s(o);
    CHECK(s.empty());
    for (int i = 0; i < 500; ++i)
      REQUIRE(s.append("t/" + std::to_string(i), "payload " + std::to_string(i), 1, i % 2 == 0) == Spool::Append::ok);
    s.flush();
    SpoolRecord r;
    for (int i = 0; i < 100; ++i) {
      REQUIRE(s.read_next(r));
      CHECK(r.topic == "t/" + std::to_string(i));
      CHECK(r.retain == (i % 2 == 0));
    }
    s.set_cursor(r.next); // 100 acknowledged
  }
  // a torn tail is dropped; reading resumes at the cursor
  std::vector<std::filesystem::path> segs;
  for (auto& e : std::filesystem::directory_iterator(dir.path))
    if (e.path().extension() == ".spool") segs.push_back(e.path());
  std::sort(segs.begin(), segs.end());
  REQUIRE(segs.size() > 3);
  { std::ofstream(segs.back(), std::ios::app) << std::string("\x20\x00\x00\x00garbage", 11); }
  {
    Spool s(o);
    CHECK(s.torn_bytes() == 11);
    SpoolRecord r;
    int n = 100;
    while (s.read_next(r)) {
      CHECK(r.topic == "t/" + std::to_string(n));
      CHECK(r.payload == "payload " + std::to_string(n));
      ++n;
    }
    CHECK(n == 500);
    s.set_cursor(s.read_pos());
    CHECK(s.empty());
  }
  // bounded: drop-newest refuses, drop-oldest deletes whole old segments
  SpoolOptions small = o;
  small.dir = dir.path + "/small";
  small.max_bytes = 16384;
  small.full = SpoolFull::drop_newest;
  {
    Spool s(small);
    int dropped = 0;
    for (int i = 0; i < 1000; ++i)
      if (s.append("t", std::string(50, 'x'), 1, false) == Spool::Append::dropped_newest) ++dropped;
    CHECK(dropped > 0);
    CHECK(s.bytes() <= small.max_bytes);
  }
  small.dir = dir.path + "/small2";
  small.full = SpoolFull::drop_oldest;
  {
    Spool s(small);
    std::uint64_t dropped = 0;
    s.on_drop = [&](std::uint64_t, std::uint64_t n) { dropped += n; };
    for (int i = 0; i < 3000; ++i)
      REQUIRE(s.append("t", std::to_string(i), 1, false) == Spool::Append::ok);
    CHECK(dropped > 0);
    s.flush();
    SpoolRecord r;
    REQUIRE(s.read_next(r));
    CHECK(r.payload == std::to_string(dropped)); // the oldest kept is the first not dropped
  }
}
