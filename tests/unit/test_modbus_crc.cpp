#include <catch2/catch.hpp>
#include <random>
#include <string_view>
#include <vector>

#include "iot/modbus/crc.hpp"

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The CRC computed bit by bit, as Modbus over Serial Line V1.02 §6.2.2 describes it.
std::uint16_t crc16_bitwise(std::span<const std::uint8_t> data) {
  std::uint16_t crc = 0xFFFF;
  for (std::uint8_t b : data) {
    crc ^= b;
    for (int i = 0; i < 8; ++i)
      crc = (crc & 1) ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001) : crc >> 1;
  }
  return crc;
}

} // namespace

TEST_CASE("iot::modbus::crc16 check value of \"123456789\" is 0x4B37") {
  CHECK(iot::modbus::crc16(bytes_of("123456789")) == 0x4B37);
  CHECK(iot::modbus::crc16({}) == 0xFFFF);
}

TEST_CASE("iot::modbus::crc16 of the seed frames, sent low byte first") {
  const std::vector<std::uint8_t> req{0x01, 0x03, 0x00, 0x00, 0x00, 0x04};
  CHECK(iot::modbus::crc16(req) == 0x0944); // on the wire: 44 09
  const std::vector<std::uint8_t> resp{0x01, 0x03, 0x08, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(iot::modbus::crc16(resp) == 0xD795); // on the wire: 95 D7
}

TEST_CASE("iot::modbus::crc16 over a frame including its CRC is 0") {
  std::vector<std::uint8_t> frame{0x01, 0x03, 0x00, 0x00, 0x00, 0x04, 0x44, 0x09};
  CHECK(iot::modbus::crc16(frame) == 0);
  CHECK(iot::modbus::rtu_crc_ok(frame));
  frame[3] ^= 0x10;
  CHECK_FALSE(iot::modbus::rtu_crc_ok(frame));
  CHECK_FALSE(iot::modbus::rtu_crc_ok(std::span(frame).first(2)));
}

TEST_CASE("iot::modbus::crc16 table matches the bitwise definition and can be continued") {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::uint8_t> data(rng() % 300);
    for (auto& b : data)
      b = static_cast<std::uint8_t>(rng());
    INFO("size " << data.size());
    CHECK(iot::modbus::crc16(data) == crc16_bitwise(data));
    const std::size_t cut = data.empty() ? 0 : rng() % data.size();
    const std::uint16_t part = iot::modbus::crc16_update(0xFFFF, std::span(data).first(cut));
    CHECK(iot::modbus::crc16_update(part, std::span(data).subspan(cut)) == iot::modbus::crc16(data));
    // Appending the CRC low byte first makes the whole come out 0.
    const std::uint16_t crc = iot::modbus::crc16(data);
    data.push_back(static_cast<std::uint8_t>(crc & 0xFF));
    data.push_back(static_cast<std::uint8_t>(crc >> 8));
    CHECK(iot::modbus::crc16(data) == 0);
  }
}

TEST_CASE("iot::modbus::lrc is the two's complement of the byte sum") {
  // Modbus over Serial Line V1.02 §2.5.2.2 / §6.2.1: ":010300000004F8" reads 4 registers of unit 1.
  const std::vector<std::uint8_t> msg{0x01, 0x03, 0x00, 0x00, 0x00, 0x04};
  CHECK(iot::modbus::lrc(msg) == 0xF8);
  CHECK(iot::modbus::lrc({}) == 0x00);
  const std::vector<std::uint8_t> wrap{0xFF, 0x02};
  CHECK(iot::modbus::lrc(wrap) == 0xFF); // sum 0x101 -> 0x01 -> 0xFF
  // Summing the message and its LRC gives 0.
  std::vector<std::uint8_t> with = msg;
  with.push_back(iot::modbus::lrc(msg));
  std::uint8_t sum = 0;
  for (auto b : with)
    sum = static_cast<std::uint8_t>(sum + b);
  CHECK(sum == 0);
}
