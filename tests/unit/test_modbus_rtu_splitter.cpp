#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "iot/modbus/adu.hpp"
#include "iot/modbus/crc.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/modbus/rtu_splitter.hpp"

using namespace iot::modbus;

namespace {

// Also used for constants built before Catch runs: no REQUIRE here.
Bytes H(std::string_view hex) {
  Bytes out;
  if (!parse_hex_bytes(hex, out)) throw std::invalid_argument(std::string(hex));
  return out;
}

struct Got {
  Bytes bytes;
  bool ok;
  Direction dir;
  std::string reason;
  std::int64_t start_us;
};

struct Harness {
  std::vector<Got> frames;
  RtuSplitter splitter;
  explicit Harness(RtuSplitterOptions o = {})
      : splitter(
            [this](const SplitFrame& f) {
              frames.push_back(
                  {Bytes(f.bytes.begin(), f.bytes.end()), f.crc_ok, f.direction, std::string(f.reason), f.start_us});
            },
            o) {}
  void feed(const Bytes& b, std::int64_t t) { splitter.feed(b, t); }
  Bytes all_bytes() const {
    Bytes out;
    for (const Got& g : frames)
      out.insert(out.end(), g.bytes.begin(), g.bytes.end());
    return out;
  }
};

const Bytes k_req = H("01 03 00 00 00 04 44 09");
const Bytes k_resp = H("01 03 08 00 00 00 00 00 00 00 00 95 D7");

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A line carrying `frames` separated by `gap_us` of silence, read through an adapter that
// returns random chunks up to `max_latency_us` late. Feeds the splitter; returns the end time.
std::int64_t play(Harness& h, const std::vector<Bytes>& frames, std::mt19937& rng, std::uint32_t baud,
                  std::int64_t min_gap_us, std::int64_t max_gap_us, std::int64_t max_latency_us,
                  std::size_t max_chunk) {
  const std::int64_t char_us = char_time_us(baud);
  Bytes line;
  std::vector<std::int64_t> done; // time each byte is complete on the line
  std::int64_t t = 1000000;
  for (const Bytes& f : frames) {
    t += min_gap_us + (max_gap_us > min_gap_us ? static_cast<std::int64_t>(rng() % (max_gap_us - min_gap_us)) : 0);
    for (std::uint8_t b : f) {
      t += char_us;
      line.push_back(b);
      done.push_back(t);
    }
  }
  std::int64_t delivered = 0;
  for (std::size_t i = 0; i < line.size();) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % max_chunk, line.size() - i);
    std::int64_t at = done[i + n - 1] + (max_latency_us ? static_cast<std::int64_t>(rng() % max_latency_us) : 0);
    at = std::max(at, delivered);
    delivered = at;
    h.feed(Bytes(line.begin() + static_cast<std::ptrdiff_t>(i), line.begin() + static_cast<std::ptrdiff_t>(i + n)), at);
    i += n;
  }
  return delivered;
}

} // namespace

TEST_CASE("iot::modbus::RtuSplitter timing defaults follow Modbus over Serial Line §2.5.1.1") {
  auto silence = [](std::uint32_t baud) {
    RtuSplitterOptions o;
    o.baud = baud;
    return RtuSplitter(nullptr, o).silence_us();
  };
  CHECK(silence(9600) == 4011);
  CHECK(silence(19200) == 2006);
  CHECK(silence(38400) == 1750);
  CHECK(silence(115200) == 1750);
  RtuSplitterOptions custom;
  custom.silence_us = 5000;
  CHECK(RtuSplitter(nullptr, custom).silence_us() == 5000);
}

TEST_CASE("iot::modbus::RtuSplitter splits a request and its response") {
  Harness h;
  h.feed(k_req, 1000);
  REQUIRE(h.frames.size() == 1); // complete with a matching CRC: emitted without waiting for silence
  h.feed(k_resp, 30000);
  REQUIRE(h.frames.size() == 2);
  CHECK(h.frames[0].bytes == k_req);
  CHECK(h.frames[0].ok);
  CHECK(h.frames[0].dir == Direction::request);
  CHECK(h.frames[1].bytes == k_resp);
  CHECK(h.frames[1].ok);
  CHECK(h.frames[1].dir == Direction::response);
  CHECK(h.frames[1].start_us < 30000);
  CHECK(h.splitter.stats().frames == 2);
  CHECK(h.splitter.pending_bytes() == 0);
}

TEST_CASE("iot::modbus::RtuSplitter never merges two frames of one USB burst") {
  Harness h;
  h.feed(concat({k_req, k_resp, k_req, k_resp}), 5000);
  REQUIRE(h.frames.size() == 4);
  CHECK(h.frames[0].bytes == k_req);
  CHECK(h.frames[1].bytes == k_resp);
  CHECK(h.frames[2].bytes == k_req);
  CHECK(h.frames[3].bytes == k_resp);
  for (const Got& g : h.frames)
    CHECK(g.ok);
  CHECK(h.frames[1].dir == Direction::response);
  CHECK(h.frames[2].dir == Direction::request);
}

TEST_CASE("iot::modbus::RtuSplitter joins a frame split across many tiny chunks") {
  Harness h;
  std::int64_t t = 0;
  for (std::uint8_t b : k_resp) {
    t += 573; // one character at 19200 baud
    h.feed(Bytes{b}, t);
  }
  REQUIRE(h.frames.size() == 1);
  CHECK(h.frames[0].bytes == k_resp);
  // Split with gaps longer than t3.5, as a late USB adapter does: the layout keeps it open.
  Harness late;
  t = 0;
  for (std::size_t i = 0; i < k_resp.size(); i += 2) {
    t += 8000;
    late.feed(Bytes(k_resp.begin() + static_cast<std::ptrdiff_t>(i),
                    k_resp.begin() + static_cast<std::ptrdiff_t>(std::min(i + 2, k_resp.size()))),
              t);
  }
  REQUIRE(late.frames.size() == 1);
  CHECK(late.frames[0].bytes == k_resp);
  CHECK(late.frames[0].ok);
}

TEST_CASE("iot::modbus::RtuSplitter flags a flipped bit with crc_ok false") {
  Bytes bad = k_resp;
  bad[5] ^= 0x04;
  Harness h;
  h.feed(k_req, 10000);
  h.feed(bad, 30000);
  h.feed(k_req, 60000);
  h.feed(k_resp, 80000);
  REQUIRE(h.frames.size() == 4);
  CHECK(h.frames[1].bytes == bad);
  CHECK_FALSE(h.frames[1].ok);
  CHECK(h.frames[1].reason == "crc mismatch");
  CHECK(h.frames[2].bytes == k_req);
  CHECK(h.frames[3].bytes == k_resp);
  CHECK(h.frames[3].ok);
  CHECK(h.splitter.stats().bad_frames == 1);

  // The corrupt frame is the last thing on the line: silence (idle) ends it. A frame could
  // still start inside it (its byte count announces more bytes) if a late USB burst brought
  // the rest, so t3.5 is not enough: the latency tolerance decides.
  Harness tail;
  tail.feed(bad, 1000);
  CHECK(tail.frames.empty());
  tail.splitter.idle(1000 + 3000);
  CHECK(tail.frames.empty());
  tail.splitter.idle(1000 + 21000);
  REQUIRE(tail.frames.size() == 1);
  CHECK(tail.frames[0].bytes == bad);
  CHECK_FALSE(tail.frames[0].ok);

  // A corrupt frame followed at once by a good one in the same burst.
  Harness burst;
  burst.feed(concat({k_req, bad, k_req}), 1000);
  burst.splitter.flush();
  REQUIRE(burst.frames.size() == 3);
  CHECK(burst.frames[1].bytes == bad);
  CHECK_FALSE(burst.frames[1].ok);
  CHECK(burst.frames[2].bytes == k_req);
  CHECK(burst.frames[2].ok);
}

TEST_CASE("iot::modbus::RtuSplitter keeps a corrupt frame whole across a late USB burst") {
  Bytes bad = k_resp;
  bad[8] ^= 0x80;
  RtuSplitterOptions fast;
  fast.baud = 115200; // t3.5 = 1.75 ms: an 8 ms gap inside the frame looks like silence
  for (bool idle : {false, true}) {
    Harness h(fast);
    h.feed(Bytes(bad.begin(), bad.begin() + 6), 10000);
    h.feed(Bytes(bad.begin() + 6, bad.end()), 18000);
    if (idle) {
      h.splitter.idle(40000);
    } else {
      h.feed(k_req, 40000);
    }
    REQUIRE(h.frames.size() == (idle ? 1u : 2u));
    CHECK(h.frames[0].bytes == bad);
    CHECK_FALSE(h.frames[0].ok);
    CHECK(h.frames[0].reason == "crc mismatch");
    if (!idle) CHECK(h.frames[1].bytes == k_req);
  }
}

TEST_CASE("iot::modbus::RtuSplitter flags a corrupt byte count and resynchronises") {
  Bytes bad = k_resp;
  bad[2] = 0x20; // byte count says 32: the layout waits for bytes that never come
  Harness h;
  h.feed(bad, 10000);
  h.feed(k_req, 40000); // after a silence: a valid frame starts here
  REQUIRE(h.frames.size() == 2);
  CHECK(h.frames[0].bytes == bad);
  CHECK_FALSE(h.frames[0].ok);
  CHECK(h.frames[0].reason == "truncated");
  CHECK(h.frames[1].bytes == k_req);
  CHECK(h.frames[1].ok);

  Bytes shorter = k_resp;
  shorter[2] = 0x02; // byte count says 2: the layout ends early, silence shows where it really ends
  Harness s;
  s.feed(shorter, 10000);
  s.feed(k_req, 40000);
  REQUIRE(s.frames.size() == 2);
  CHECK(s.frames[0].bytes == shorter);
  CHECK_FALSE(s.frames[0].ok);
  CHECK(s.frames[1].bytes == k_req);
}

TEST_CASE("iot::modbus::RtuSplitter resynchronises after garbage before and after frames") {
  const Bytes garbage = H("FF 00 13 77 03 FE");
  Harness h;
  h.feed(concat({garbage, k_req}), 10000); // same burst: hunting finds the frame
  h.feed(k_resp, 30000);
  h.feed(garbage, 60000);
  h.splitter.flush();
  REQUIRE(h.frames.size() == 4);
  CHECK(h.frames[0].bytes == garbage);
  CHECK_FALSE(h.frames[0].ok);
  CHECK(h.frames[0].reason == "garbage");
  CHECK(h.frames[1].bytes == k_req);
  CHECK(h.frames[1].ok);
  CHECK(h.frames[2].bytes == k_resp);
  CHECK(h.frames[2].dir == Direction::response);
  CHECK(h.frames[3].bytes == garbage);
  CHECK_FALSE(h.frames[3].ok);

  // A single noise byte separated by silence.
  Harness noise;
  noise.feed(Bytes{0x00}, 1000);
  noise.feed(k_req, 20000);
  REQUIRE(noise.frames.size() == 2);
  CHECK(noise.frames[0].reason == "too short");
  CHECK(noise.frames[1].bytes == k_req);
}

TEST_CASE("iot::modbus::RtuSplitter predicts response lengths from the request") {
  // FC 01 response with byte count 3 is 8 bytes, like a request: the pending request tells.
  const Bytes req = wrap_rtu(5, H("01 00 13 00 13"));
  const Bytes resp = wrap_rtu(5, H("01 03 CD 6B 05"));
  Harness h;
  h.feed(concat({req, resp}), 10000);
  REQUIRE(h.frames.size() == 2);
  CHECK(h.frames[0].dir == Direction::request);
  CHECK(h.frames[1].dir == Direction::response);
  // Echo responses (FC 05/06/08/16) are told apart by order.
  const Bytes w = wrap_rtu(5, H("06 00 01 00 03"));
  Harness e;
  e.feed(concat({w, w, w}), 10000);
  REQUIRE(e.frames.size() == 3);
  CHECK(e.frames[0].dir == Direction::request);
  CHECK(e.frames[1].dir == Direction::response);
  CHECK(e.frames[2].dir == Direction::request);
  // Exception responses and broadcasts.
  const Bytes exc = wrap_rtu(5, H("83 02"));
  const Bytes bcast = wrap_rtu(0, H("10 00 01 00 02 04 00 0A 01 02"));
  Harness x;
  x.feed(concat({wrap_rtu(5, H("03 00 6B 00 03")), exc, bcast, wrap_rtu(5, H("10 00 01 00 02"))}), 10000);
  REQUIRE(x.frames.size() == 4);
  CHECK(x.frames[1].bytes == exc);
  CHECK(x.frames[1].dir == Direction::response);
  CHECK(x.frames[2].bytes == bcast);
  CHECK(x.frames[2].dir == Direction::request);
  CHECK(x.frames[3].dir == Direction::response);
}

TEST_CASE("iot::modbus::RtuSplitter handles random gaps and USB bursts on a busy line") {
  const std::vector<Bytes> conversation = {
      wrap_rtu(1, H("03 00 00 00 04")),
      wrap_rtu(1, H("03 08 00 01 00 02 00 03 00 04")),
      wrap_rtu(2, H("01 00 13 00 13")),
      wrap_rtu(2, H("01 03 CD 6B 05")),
      wrap_rtu(3, H("10 00 01 00 02 04 00 0A 01 02")),
      wrap_rtu(3, H("10 00 01 00 02")),
      wrap_rtu(4, H("04 00 08 00 01")),
      wrap_rtu(4, H("84 02")),
      wrap_rtu(1, H("2B 0E 01 00")),
      wrap_rtu(1, H("2B 0E 01 01 00 00 02 00 04 41 63 6D 65 01 02 50 31")),
      wrap_rtu(7, H("17 00 03 00 06 00 0E 00 03 06 00 FF 00 FF 00 FF")),
      wrap_rtu(7, H("17 0C 00 FE 0A CD 00 01 00 03 00 0D 00 FF")),
      wrap_rtu(9, H("16 00 04 00 F2 00 25")),
      wrap_rtu(9, H("16 00 04 00 F2 00 25")),
      wrap_rtu(9, H("0F 00 13 00 0A 02 CD 01")),
      wrap_rtu(9, H("0F 00 13 00 0A")),
      wrap_rtu(1, H("11")),
      wrap_rtu(1, H("11 03 2A FF 00")),
  };
  std::mt19937 rng(12345);
  for (std::uint32_t baud : {9600u, 19200u, 115200u}) {
    for (int round = 0; round < 30; ++round) {
      RtuSplitterOptions o;
      o.baud = baud;
      Harness h(o);
      std::vector<Bytes> frames;
      for (int i = 0; i < 6; ++i)
        frames.insert(frames.end(), conversation.begin(), conversation.end());
      const std::int64_t end = play(h, frames, rng, baud, t35_us(baud), 30000, 16000, 1 + round % 64);
      h.splitter.idle(end + 100000);
      INFO("baud " << baud << " round " << round);
      REQUIRE(h.frames.size() == frames.size());
      for (std::size_t i = 0; i < frames.size(); ++i) {
        CHECK(h.frames[i].bytes == frames[i]);
        CHECK(h.frames[i].ok);
      }
      CHECK(h.frames[1].dir == Direction::response);
    }
  }
}

TEST_CASE("iot::modbus::RtuSplitter loses no byte on a noisy line") {
  std::mt19937 rng(99);
  for (int round = 0; round < 200; ++round) {
    std::vector<Bytes> parts;
    for (int i = 0; i < 10; ++i) {
      switch (rng() % 4) {
      case 0: parts.push_back(k_req); break;
      case 1: parts.push_back(k_resp); break;
      case 2: {
        Bytes g(1 + rng() % 20);
        for (auto& b : g)
          b = static_cast<std::uint8_t>(rng());
        parts.push_back(g);
        break;
      }
      default: {
        Bytes f = k_resp;
        f[rng() % f.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        parts.push_back(f);
      }
      }
    }
    Harness h;
    const std::int64_t end = play(h, parts, rng, 19200, 0, 20000, 16000, 1 + rng() % 32);
    h.splitter.flush();
    (void)end;
    Bytes all;
    for (const Bytes& p : parts)
      all.insert(all.end(), p.begin(), p.end());
    CHECK(h.all_bytes() == all);
    for (const Got& g : h.frames) {
      if (g.ok) CHECK(rtu_crc_ok(g.bytes));
      if (!g.ok) CHECK_FALSE(g.reason.empty());
    }
  }
}

TEST_CASE("iot::modbus::RtuSplitter recovers every clean frame between noise separated by silence") {
  std::mt19937 rng(2024);
  for (int round = 0; round < 200; ++round) {
    std::vector<Bytes> parts;
    std::vector<bool> clean;
    for (int i = 0; i < 12; ++i) {
      const unsigned kind = rng() % 5;
      if (kind <= 1) {
        parts.push_back(kind == 0 ? k_req : k_resp);
        clean.push_back(true);
      } else if (kind == 2) {
        Bytes g(1 + rng() % 30);
        for (auto& b : g)
          b = static_cast<std::uint8_t>(rng());
        parts.push_back(g);
        clean.push_back(false);
      } else {
        Bytes f = kind == 3 ? k_resp : k_req;
        f[rng() % f.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        parts.push_back(f);
        clean.push_back(false);
      }
    }
    Harness h;
    // Half the rounds through an adapter that delivers up to 16 ms late, hiding some silences.
    const std::int64_t latency = round % 2 ? 16000 : 0;
    const std::int64_t end = play(h, parts, rng, 19200, 5000, 20000, latency, 1 + rng() % 16);
    h.splitter.idle(end + 50000);
    std::vector<Bytes> expected, got;
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (clean[i]) expected.push_back(parts[i]);
    for (const Got& g : h.frames)
      if (g.ok) got.push_back(g.bytes);
    INFO("round " << round << " latency " << latency);
    CHECK(got == expected);
    CHECK(h.splitter.pending_bytes() == 0);
  }
}
