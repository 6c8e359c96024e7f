// iot-decode's frame input and frame decoder: frame lines from hex or ASCII text, records
// written for them, and responses paired with their requests through the one answer checker.
#include <simdjson.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "iot/decode/commands.hpp"
#include "iot/decode/frames.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/pdu.hpp"

#include "test_lines.hpp"

using namespace iot;
using namespace iot::decode;
using iot_test::CapturedLines;

namespace {

// A file holding `text`, open for reading (the input of a command).
class InputFile {
public:
  explicit InputFile(const std::string& text) : m_fd(::mkstemp(m_path)) {
    REQUIRE(::write(m_fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::lseek(m_fd, 0, SEEK_SET);
  }
  ~InputFile() {
    ::close(m_fd);
    std::remove(m_path);
  }
  int fd() const { return m_fd; }

private:
  char m_path[32] = "/tmp/iot-unit-input.XXXXXX";
  int m_fd;
};

simdjson::dom::parser& json() {
  static simdjson::dom::parser p;
  return p;
}

std::string str(const std::string& line, const char* key) {
  std::string_view v;
  if (json().parse(line)[key].get(v) != simdjson::SUCCESS) return "<none>";
  return std::string(v);
}
std::int64_t num(const std::string& line, const char* key) {
  std::int64_t v = -1;
  if (json().parse(line)[key].get(v) != simdjson::SUCCESS) return -1;
  return v;
}
bool has(const std::string& line, const char* key) { return json().parse(line)[key].error() == simdjson::SUCCESS; }

std::string hex_of(std::span<const std::uint8_t> b) {
  static constexpr char k_digits[] = "0123456789ABCDEF";
  std::string s;
  for (std::uint8_t x : b) {
    if (!s.empty()) s.push_back(' ');
    s.push_back(k_digits[x >> 4]);
    s.push_back(k_digits[x & 15]);
  }
  return s;
}

} // namespace

TEST_CASE("iot::decode::parse_frame_line reads a time stamp, a direction mark and hex") {
  std::uint8_t buf[600];
  FrameLine f = parse_frame_line("2026-11-21T08:00:00.123Z tx: 01 03 00 00 00 04 44 09", buf, sizeof buf);
  REQUIRE(f.error.empty());
  REQUIRE(f.ts);
  CHECK(epoch_ms(*f.ts) % 1000 == 123);
  CHECK(f.direction == modbus::Direction::request);
  REQUIRE(f.size == 8);
  CHECK(buf[0] == 0x01);
  CHECK(buf[7] == 0x09);

  f = parse_frame_line("  rx 0103080000000000000000 95D7 ", buf, sizeof buf);
  REQUIRE(f.error.empty());
  CHECK_FALSE(f.ts);
  CHECK(f.direction == modbus::Direction::response);
  CHECK(f.size == 13);

  f = parse_frame_line("< 01 83 02 C0 F1", buf, sizeof buf);
  CHECK(f.direction == modbus::Direction::response);
  CHECK(f.size == 5);
}

TEST_CASE("iot::decode::parse_frame_line takes ASCII frames as their characters") {
  std::uint8_t buf[600];
  const FrameLine f = parse_frame_line(":010300000004F8", buf, sizeof buf);
  REQUIRE(f.error.empty());
  REQUIRE(f.size == 15);
  CHECK(std::string(reinterpret_cast<const char*>(buf), f.size) == ":010300000004F8");
}

TEST_CASE("iot::decode::parse_frame_line says what is wrong and where") {
  std::uint8_t buf[600];
  FrameLine f = parse_frame_line("tx 01 03 0G", buf, sizeof buf);
  CHECK_THAT(f.error, Catch::StartsWith("column "));
  f = parse_frame_line("   ", buf, sizeof buf);
  CHECK(f.error == "no frame on the line");
  f = parse_frame_line("tx", buf, sizeof buf);
  CHECK(f.error == "no frame on the line");
}

TEST_CASE("iot::decode::FrameDecoder pairs a response with its request") {
  CapturedLines out;
  FrameDecoder decoder({modbus::Framing::rtu, true});
  FrameContext ctx;
  const auto req = modbus::wrap_rtu(1, modbus::encode_read_request(3, 0x10, 2));
  const auto rsp = modbus::wrap_rtu(1, modbus::encode_read_registers_response(3, std::vector<std::uint16_t>{7, 8}));
  ctx.ts = from_epoch_us(1000000);
  decoder.decode(req, ctx, out.sink);
  ctx.ts = from_epoch_us(1025000);
  decoder.decode(rsp, ctx, out.sink);
  const auto lines = out.lines();
  REQUIRE(lines.size() == 2);
  CHECK(str(lines[0], "kind") == "frame");
  CHECK(str(lines[0], "direction") == "request");
  CHECK(num(lines[0], "addr") == 16);
  CHECK(str(lines[1], "direction") == "response");
  CHECK(num(lines[1], "addr") == 16); // from the request
  CHECK(num(lines[1], "count") == 2);
  double latency = -1;
  CHECK(json().parse(lines[1])["latency_ms"].get(latency) == simdjson::SUCCESS);
  CHECK(latency == Approx(25.0));
  CHECK(decoder.frames() == 2);
  CHECK(decoder.bad_checks() == 0);
}

TEST_CASE("iot::decode::FrameDecoder does not pair a response that does not answer the request") {
  CapturedLines out;
  FrameDecoder decoder({modbus::Framing::rtu, true});
  FrameContext ctx;
  ctx.ts = from_epoch_us(1000000);
  // Two registers asked for, three come: the byte count does not fit ([AP] §6.3).
  decoder.decode(modbus::wrap_rtu(1, modbus::encode_read_request(3, 0x10, 2)), ctx, out.sink);
  decoder.decode(modbus::wrap_rtu(1, modbus::encode_read_registers_response(3, std::vector<std::uint16_t>{7, 8, 9})),
                 ctx, out.sink);
  // Another unit's answer is not the request's either.
  decoder.decode(modbus::wrap_rtu(2, modbus::encode_read_registers_response(3, std::vector<std::uint16_t>{7, 8})), ctx,
                 out.sink);
  const auto lines = out.lines();
  REQUIRE(lines.size() == 3);
  for (std::size_t i = 1; i < 3; ++i) {
    CHECK(str(lines[i], "direction") == "response"); // its byte count says so
    CHECK_FALSE(has(lines[i], "addr"));
    CHECK_FALSE(has(lines[i], "latency_ms"));
  }
}

TEST_CASE("iot::decode::FrameDecoder: an echo after a request is its response, else a request") {
  CapturedLines out;
  FrameDecoder decoder({modbus::Framing::rtu, true});
  FrameContext ctx;
  const auto write = modbus::wrap_rtu(1, modbus::encode_write_single_register(5, 0x1234));
  decoder.decode(write, ctx, out.sink);
  decoder.decode(write, ctx, out.sink);
  decoder.decode(write, ctx, out.sink);
  const auto lines = out.lines();
  REQUIRE(lines.size() == 3);
  CHECK(str(lines[0], "direction") == "request");
  CHECK(str(lines[1], "direction") == "response");
  CHECK(str(lines[2], "direction") == "request");
}

TEST_CASE("iot::decode::FrameDecoder counts bad checks and pairs TCP by transaction id") {
  CapturedLines out;
  FrameDecoder decoder({std::nullopt, false}); // framing detected, TCP pairs by its ids anyway
  FrameContext ctx;
  ctx.channel = "a>b";
  decoder.decode(modbus::wrap_tcp(5, 1, modbus::encode_read_request(4, 0, 1)), ctx, out.sink);
  decoder.decode(modbus::wrap_tcp(6, 1, modbus::encode_read_request(4, 9, 1)), ctx, out.sink);
  decoder.decode(modbus::wrap_tcp(5, 1, modbus::encode_read_registers_response(4, std::vector<std::uint16_t>{1})), ctx,
                 out.sink);
  auto bad = modbus::wrap_rtu(1, modbus::encode_read_request(3, 0, 1));
  bad.back() ^= 0xFF;
  decoder.decode(bad, ctx, out.sink);
  const auto lines = out.lines();
  REQUIRE(lines.size() == 4);
  CHECK(str(lines[2], "framing") == "tcp");
  CHECK(num(lines[2], "tid") == 5);
  CHECK(num(lines[2], "addr") == 0); // transaction 5 asked for address 0, not 9
  CHECK(decoder.bad_checks() == 1);
  CHECK(json().parse(lines[3])["crc_ok"].get_bool().value() == false);
}

TEST_CASE("iot::decode::run_frame reads lines, pairs them and reports bad lines by number") {
  const auto req = modbus::wrap_rtu(1, modbus::encode_read_request(3, 0, 4));
  const auto rsp =
      modbus::wrap_rtu(1, modbus::encode_read_registers_response(3, std::vector<std::uint16_t>{0, 0, 0, 0}));
  InputFile in("# a comment\n" + hex_of(req) + "\n\n" + hex_of(rsp) + "\nzz\n");
  CapturedLines out;
  FrameCommand cmd;
  cmd.pair = true;
  cmd.input_fd = in.fd();
  CHECK(run_frame(cmd, out.sink) == ExitCode::bad_input);
  const auto lines = out.lines();
  REQUIRE(lines.size() == 2);
  CHECK(str(lines[1], "direction") == "response");
  CHECK(num(lines[1], "addr") == 0);
  CHECK(num(lines[1], "count") == 4);
}
