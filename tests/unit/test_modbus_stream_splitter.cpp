// The one Modbus stream splitter, as the client, the simulator and the sniffer configure it:
// the same byte streams, cut into chunks at every possible place, must give each use its frames.
#include <catch2/catch.hpp>
#include <cctype>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "iot/modbus/adu.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/modbus/stream_splitter.hpp"

using namespace iot::modbus;
using Kind = StreamFrame::Kind;

namespace {

Bytes H(std::string_view hex) {
  Bytes out;
  if (!parse_hex_bytes(hex, out)) throw std::invalid_argument(std::string(hex));
  return out;
}
Bytes S(std::string_view text) { return Bytes(text.begin(), text.end()); }

enum class Role { request, response, echo, bad, noise, partial };
struct Segment {
  Role role;
  Bytes bytes;
};

struct Use {
  std::string name;
  StreamSplitterOptions options;
  std::optional<std::pair<std::uint8_t, std::uint8_t>> expect; // the client's awaited unit and function
  bool wants(Role r, Framing f) const {
    if (r == Role::echo) return true;
    // ASCII and MBAP frames say where they end whatever their direction.
    if (f == Framing::tcp || f == Framing::ascii) return r == Role::request || r == Role::response;
    if (options.direction == Direction::request) return r == Role::request;
    if (options.direction == Direction::response) return r == Role::response;
    return r == Role::request || r == Role::response;
  }
};

struct Out {
  Kind kind;
  Bytes bytes;
  Direction direction;
};

constexpr std::uint32_t k_baud = 19200;

// The uses, each configured by the function its tool calls.
std::vector<Use> uses(Framing framing) {
  std::vector<Use> u;
  u.push_back(
      {"client awaiting unit 1 FC 03", client_splitter_options(framing), std::pair<std::uint8_t, std::uint8_t>{1, 3}});
  u.push_back({"client draining", client_splitter_options(framing), std::nullopt});
  const bool serial = framing == Framing::rtu || framing == Framing::ascii;
  u.push_back({"simulator", server_splitter_options(framing, serial ? std::optional<std::int64_t>(2005) : std::nullopt),
               std::nullopt});
  RtuSplitterOptions timing;
  timing.baud = k_baud;
  u.push_back({"sniffer", sniffer_splitter_options(framing, timing), std::nullopt});
  return u;
}

struct Line {
  Bytes bytes;
  std::vector<std::int64_t> done; // when each byte was complete on the line
};

// The segments back to back on a line at 19200 baud, 5 ms of silence between them.
Line lay_out(const std::vector<Segment>& segments) {
  Line line;
  const std::int64_t char_us = char_time_us(k_baud);
  std::int64_t t = 1000000;
  for (const Segment& s : segments) {
    t += 5000;
    for (std::uint8_t b : s.bytes) {
      t += char_us;
      line.bytes.push_back(b);
      line.done.push_back(t);
    }
  }
  return line;
}

// Feeds `line` in chunks ending at `cuts` (each chunk at the time its last byte was complete),
// takes every frame out after each chunk, then ends the input.
std::vector<Out> run(const Use& use, const Line& line, const std::vector<std::size_t>& cuts) {
  StreamSplitter s(use.options);
  if (use.expect) s.expect(use.expect->first, use.expect->second);
  std::vector<Out> out;
  auto drain = [&] {
    while (auto f = s.next())
      out.push_back({f->kind, Bytes(f->bytes.begin(), f->bytes.end()), f->direction});
  };
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : line.bytes.size();
    if (to <= from) continue;
    s.feed(std::span<const std::uint8_t>(line.bytes.data() + from, to - from), line.done[to - 1]);
    drain();
    from = to;
  }
  s.idle(line.done.back() + 10000000);
  drain();
  s.flush();
  drain();
  CHECK(s.pending_bytes() == 0);
  return out;
}

void check_use(const Use& use, Framing framing, const std::vector<Segment>& segments, const Line& line,
               const std::vector<std::size_t>& cuts) {
  INFO(use.name << ", framing " << framing_name(framing) << ", chunks ending at " << Catch::Detail::stringify(cuts));
  const std::vector<Out> out = run(use, line, cuts);
  // Every byte comes out once, in order.
  Bytes all;
  for (const Out& o : out)
    all.insert(all.end(), o.bytes.begin(), o.bytes.end());
  CHECK(all == line.bytes);
  // The frames are exactly the whole, valid frames this use reads.
  std::vector<Bytes> want, got;
  for (const Segment& s : segments)
    if (use.wants(s.role, framing)) want.push_back(s.bytes);
  for (const Out& o : out)
    if (o.kind == Kind::frame) got.push_back(o.bytes);
  CHECK(got == want);
  // A frame with a bad check never passes as one.
  for (const Segment& s : segments)
    if (s.role == Role::bad)
      for (const Out& o : out)
        CHECK_FALSE((o.kind == Kind::frame && o.bytes == s.bytes));
}

// Feeds the stream to every use: whole, in two chunks cut at every place, byte by byte, and in
// random chunks.
void check_stream(Framing framing, const std::vector<Segment>& segments) {
  const Line line = lay_out(segments);
  std::mt19937 rng(42);
  for (const Use& use : uses(framing)) {
    check_use(use, framing, segments, line, {});
    for (std::size_t k = 1; k < line.bytes.size(); ++k)
      check_use(use, framing, segments, line, {k});
    std::vector<std::size_t> each;
    for (std::size_t k = 1; k < line.bytes.size(); ++k)
      each.push_back(k);
    check_use(use, framing, segments, line, each);
    for (int round = 0; round < 50; ++round) {
      std::vector<std::size_t> cuts;
      for (std::size_t k = 1 + rng() % 7; k < line.bytes.size(); k += 1 + rng() % 13)
        cuts.push_back(k);
      check_use(use, framing, segments, line, cuts);
    }
  }
}

Bytes flip_last(Bytes b) {
  b.back() ^= 0x5A;
  return b;
}

// A bus conversation with noise, a corrupted frame and a partial frame at the end.
std::vector<Segment> rtu_conversation() {
  const Bytes echo = wrap_rtu(1, encode_write_single_register(7, 0x1234));
  return {
      {Role::noise, H("FF 00 55")},
      {Role::request, wrap_rtu(1, encode_read_request(3, 0, 2))},
      {Role::response, wrap_rtu(1, encode_read_registers_response(3, std::vector<std::uint16_t>{10, 11}))},
      {Role::bad, flip_last(wrap_rtu(1, encode_write_single_register(1, 3)))},
      {Role::request, wrap_rtu(2, encode_write_multiple_registers(0x10, std::vector<std::uint16_t>{1, 2}))},
      {Role::response, wrap_rtu(2, encode_write_multiple_response(0x10, 0x10, 2))},
      {Role::request, wrap_rtu(1, encode_read_request(1, 0, 10))},
      {Role::response, wrap_rtu(1, encode_exception(1, 2))},
      {Role::echo, echo},
      {Role::echo, echo},
      {Role::request, wrap_rtu(1, encode_read_request(3, 0, 1))},
      {Role::bad, flip_last(wrap_rtu(1, encode_read_registers_response(3, std::vector<std::uint16_t>{1})))},
      {Role::request, wrap_rtu(3, encode_read_request(4, 100, 3))},
      {Role::response, wrap_rtu(3, encode_read_registers_response(4, std::vector<std::uint16_t>{1, 2, 3}))},
      {Role::partial, Bytes(3, 0x01)},
  };
}

} // namespace

TEST_CASE("iot::modbus::StreamSplitter gives client, simulator and sniffer the frames of one RTU line") {
  check_stream(Framing::rtu, rtu_conversation());
}

TEST_CASE("iot::modbus::StreamSplitter gives client, simulator and sniffer the frames of one RTU-over-TCP stream") {
  check_stream(Framing::rtu_over_tcp, rtu_conversation());
}

TEST_CASE("iot::modbus::StreamSplitter gives client, simulator and sniffer the frames of one ASCII line") {
  Bytes lower = wrap_ascii(1, encode_read_request(3, 0x00AB, 2));
  for (auto& c : lower)
    c = static_cast<std::uint8_t>(std::tolower(c));
  Bytes bad_lrc = wrap_ascii(1, encode_write_single_register(1, 3));
  bad_lrc[bad_lrc.size() - 3] = bad_lrc[bad_lrc.size() - 3] == '0' ? '1' : '0';
  const Bytes cut = wrap_ascii(2, encode_read_request(3, 0, 2));
  check_stream(
      Framing::ascii,
      {
          {Role::noise, S("zz\r\n")},
          {Role::request, wrap_ascii(1, encode_read_request(3, 0, 2))},
          {Role::response, wrap_ascii(1, encode_read_registers_response(3, std::vector<std::uint16_t>{10, 11}))},
          {Role::bad, bad_lrc},
          {Role::partial, Bytes(cut.begin(), cut.begin() + 7)}, // a new ':' cuts it short
          {Role::request, lower},
          {Role::response, wrap_ascii(1, encode_exception(3, 2))},
          {Role::noise, H("00 FF")},
          {Role::partial, S(":01")},
      });
}

TEST_CASE("iot::modbus::StreamSplitter gives client, simulator and sniffer the frames of one Modbus TCP stream") {
  check_stream(
      Framing::tcp,
      {
          {Role::request, wrap_tcp(1, 1, encode_read_request(3, 0, 2))},
          {Role::response, wrap_tcp(1, 1, encode_read_registers_response(3, std::vector<std::uint16_t>{10, 11}))},
          {Role::noise, H("FF FF FF")},
          {Role::request, wrap_tcp(2, 9, encode_write_single_coil(5, true))},
          {Role::response, wrap_tcp(2, 9, encode_exception(5, 4))},
          {Role::request, wrap_tcp(0xFFFF, 0xFF, encode_read_request(1, 0, 2000))},
          {Role::partial, H("00 03 00 00 00")},
      });
}

TEST_CASE("iot::modbus::StreamSplitter TCP: bad headers come out as garbage up to the next plausible one") {
  StreamSplitter s(server_splitter_options(Framing::tcp, std::nullopt));
  const Bytes good = wrap_tcp(7, 1, encode_read_request(3, 0, 1));
  Bytes in = H("00 01 00 05 00 06"); // protocol id 5
  in.insert(in.end(), good.begin(), good.end());
  s.feed(in);
  auto g = s.next();
  REQUIRE(g);
  CHECK(g->kind == Kind::garbage);
  CHECK(g->reason == "not an MBAP header");
  CHECK(g->bytes.size() == 6);
  auto f = s.next();
  REQUIRE(f);
  CHECK(f->ok());
  CHECK(f->adu.tid == 7);
  CHECK(f->adu.unit == 1);
  CHECK(Bytes(f->adu.pdu.begin(), f->adu.pdu.end()) == encode_read_request(3, 0, 1));
  CHECK_FALSE(s.next());
  // [TCP] §3.1.3: a length field of 1 (a unit without a PDU) or 255 is no MBAP header.
  for (const char* hex : {"00 01 00 00 00 01 01", "00 01 00 00 00 FF 01"}) {
    StreamSplitter t(client_splitter_options(Framing::tcp));
    t.feed(H(hex));
    auto b = t.next();
    REQUIRE(b);
    CHECK(b->kind == Kind::garbage);
  }
}

TEST_CASE("iot::modbus::StreamSplitter ASCII: a ':' restarts, a runaway frame is given up") {
  StreamSplitter s(sniffer_splitter_options(Framing::ascii, std::nullopt));
  Bytes runaway = S(":");
  runaway.insert(runaway.end(), 600, '0');
  s.feed(runaway);
  auto f = s.next();
  REQUIRE(f);
  CHECK(f->kind == Kind::too_long);
  CHECK(f->bytes.size() == k_max_ascii_adu_size + 1);
  f = s.next();
  REQUIRE(f);
  CHECK(f->kind == Kind::garbage); // the rest, outside any frame
  CHECK_FALSE(s.next());
  s.feed(S(":0103\r\n")); // too short to be a frame
  f = s.next();
  REQUIRE(f);
  CHECK(f->kind == Kind::malformed);
  CHECK(f->reason == "ASCII frame too short");
}

TEST_CASE("iot::modbus::StreamSplitter simulator: silence ends a frame of unknown layout, staleness a partial one") {
  StreamSplitter s(server_splitter_options(Framing::rtu, 2005));
  const Bytes custom = wrap_rtu(1, H("41 01 02")); // a user-defined function: no layout
  s.feed(custom, 1000);
  CHECK_FALSE(s.next());
  REQUIRE(s.wake_at());
  CHECK(*s.wake_at() == 1000 + 5000); // max(t3.5, 5 ms)
  s.idle(5999);
  CHECK_FALSE(s.next());
  s.idle(6000);
  auto f = s.next();
  REQUIRE(f);
  CHECK(f->ok());
  CHECK(Bytes(f->bytes.begin(), f->bytes.end()) == custom);
  CHECK_FALSE(s.wake_at());

  const Bytes req = wrap_rtu(1, encode_read_request(3, 0, 2));
  s.feed(std::span(req).first(5), 10000);
  CHECK_FALSE(s.next());
  REQUIRE(s.wake_at());
  CHECK(*s.wake_at() == 10000 + 200000); // max(50 t3.5, 200 ms)
  s.idle(10000 + 199999);
  CHECK_FALSE(s.next());
  s.idle(10000 + 200000);
  f = s.next();
  REQUIRE(f);
  CHECK(f->kind == Kind::truncated);
  CHECK(f->bytes.size() == 5);
}

TEST_CASE("iot::modbus::StreamSplitter client: the awaited answer with a bad CRC is told at once") {
  StreamSplitter s(client_splitter_options(Framing::rtu_over_tcp));
  s.expect(1, 3);
  // Its CRC fails, and the bytes after it could still start a frame: a sniffer would wait, the
  // client knows which answer it waits for.
  Bytes bad = flip_last(wrap_rtu(1, encode_read_registers_response(3, std::vector<std::uint16_t>{0x0103, 0x0400})));
  s.feed(bad);
  auto f = s.next();
  REQUIRE(f);
  CHECK(f->kind == Kind::bad_check);
  CHECK(f->reason == "crc mismatch");
  CHECK(f->adu.unit == 1);
  CHECK_FALSE(s.awaited_bad_check());

  // Behind garbage that may still start a frame, the splitter says it is there.
  StreamSplitter t(client_splitter_options(Framing::rtu));
  t.expect(1, 3);
  Bytes in = H("05 03 40"); // announces a 69-byte answer
  in.insert(in.end(), bad.begin(), bad.end());
  t.feed(in);
  CHECK_FALSE(t.next());
  CHECK(t.awaited_bad_check());
  t.expect_nothing();
  CHECK_FALSE(t.awaited_bad_check());

  // A function without a layout from the awaited unit: whole when its CRC matches.
  StreamSplitter u(client_splitter_options(Framing::rtu));
  u.expect(1, 0x41);
  const Bytes custom = wrap_rtu(1, H("41 AA BB CC"));
  u.feed(custom);
  f = u.next();
  REQUIRE(f);
  CHECK(f->ok());
  CHECK(f->bytes.size() == custom.size());
}

TEST_CASE("iot::modbus::StreamSplitter reset drops what is buffered and counts it") {
  StreamSplitter s(client_splitter_options(Framing::tcp));
  s.feed(H("00 01 00 00 00 06 01 03"));
  CHECK(s.pending_bytes() == 8);
  CHECK(s.reset() == 8);
  CHECK(s.pending_bytes() == 0);
  CHECK_FALSE(s.next());
}
