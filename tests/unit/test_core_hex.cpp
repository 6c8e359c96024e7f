#include <catch2/catch.hpp>

#include "iot/core/hex.hpp"
#include "iot/decode/commands.hpp"

using iot::parse_hex;
using iot::decode::parse_frame_line;

namespace {
std::vector<std::uint8_t> hex_bytes(std::string_view text) {
  std::uint8_t buf[300];
  auto r = parse_hex(text, buf, sizeof buf);
  INFO(r.error);
  REQUIRE(r.error.empty());
  return {buf, buf + r.size};
}
} // namespace

TEST_CASE("iot::decode::parse_hex accepts the notations engineers paste") {
  const std::vector<std::uint8_t> want{0x01, 0x03, 0x00, 0xAB};
  CHECK(hex_bytes("01 03 00 AB") == want);
  CHECK(hex_bytes("010300ab") == want);
  CHECK(hex_bytes("0x01 0x03 0x00 0xAB") == want);
  CHECK(hex_bytes("0x01,0x03,0x00,0xab") == want);
  CHECK(hex_bytes("01:03:00:ab") == want);
  CHECK(hex_bytes("0x1 0x3 0x0 0xab") == want);
  CHECK(hex_bytes("\t01-03-00-AB ") == want);
}

TEST_CASE("iot::decode::parse_hex names the column of what is wrong") {
  std::uint8_t buf[16];
  auto r = parse_hex("01 03 0G", buf, sizeof buf);
  CHECK(r.error == "'G' is not a hex digit");
  CHECK(r.error_column == 8);
  r = parse_hex("01 033", buf, sizeof buf);
  CHECK(r.error == "odd number of hex digits");
  CHECK(r.error_column == 6);
  r = parse_hex("   ", buf, sizeof buf);
  CHECK(r.error == "no bytes");
  r = parse_hex("00 01 02 03", buf, 3);
  CHECK(r.error == "frame longer than 3 bytes");
}

TEST_CASE("iot::decode::parse_frame_line reads a time stamp, a direction mark and ASCII frames") {
  std::uint8_t buf[600];
  auto l = parse_frame_line("2026-11-21T08:00:00.123Z TX: 01 03 00 00 00 04 44 09", buf, sizeof buf);
  REQUIRE(l.error.empty());
  CHECK(l.ts == iot::parse_ts("2026-11-21T08:00:00.123Z"));
  CHECK(l.direction == iot::modbus::Direction::request);
  CHECK(l.size == 8);
  l = parse_frame_line("< 01 03 08 00 00 00 00 00 00 00 00 95 D7", buf, sizeof buf);
  CHECK(l.direction == iot::modbus::Direction::response);
  CHECK(l.size == 13);
  l = parse_frame_line(":010300000004F8\r", buf, sizeof buf);
  REQUIRE(l.error.empty());
  CHECK(std::string(reinterpret_cast<char*>(buf), l.size) == ":010300000004F8");
  l = parse_frame_line("rx 01 0z", buf, sizeof buf);
  CHECK(l.error == "column 8: 'z' is not a hex digit");
}
