#include "iot/modbus/crc.hpp"

#include <array>

namespace iot::modbus {
namespace {

// One table lookup per byte instead of eight shift/XOR steps: the decoder and the sniffer
// check a CRC for every frame and, while resynchronising, at many candidate positions.
constexpr std::array<std::uint16_t, 256> make_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    std::uint16_t crc = static_cast<std::uint16_t>(i);
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1u) ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001u) : crc >> 1;
    table[i] = crc;
  }
  return table;
}

constexpr std::array<std::uint16_t, 256> k_table = make_table();

} // namespace

std::uint16_t crc16_update(std::uint16_t crc, std::span<const std::uint8_t> data) noexcept {
  for (std::uint8_t b : data)
    crc = static_cast<std::uint16_t>((crc >> 8) ^ k_table[(crc ^ b) & 0xFFu]);
  return crc;
}

std::uint16_t crc16(std::span<const std::uint8_t> data) noexcept { return crc16_update(0xFFFF, data); }

bool rtu_crc_ok(std::span<const std::uint8_t> frame) noexcept { return frame.size() >= 3 && crc16(frame) == 0; }

std::uint8_t lrc(std::span<const std::uint8_t> data) noexcept {
  std::uint8_t sum = 0;
  for (std::uint8_t b : data)
    sum = static_cast<std::uint8_t>(sum + b);
  return static_cast<std::uint8_t>(-sum);
}

} // namespace iot::modbus
