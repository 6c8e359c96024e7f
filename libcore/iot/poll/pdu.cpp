#include "iot/poll/pdu.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "iot/modbus/pdu.hpp"
#include "iot/modbus/spec.hpp"

namespace iot::poll {

namespace {
std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t i) {
  return static_cast<std::uint16_t>((b[i] << 8) | b[i + 1]);
}
} // namespace

Bytes read_request(std::uint8_t fc, std::uint16_t addr, std::uint16_t count) {
  return modbus::encode_read_request(fc, addr, count);
}
Bytes write_single_coil(std::uint16_t addr, bool on) { return modbus::encode_write_single_coil(addr, on); }
Bytes write_single_register(std::uint16_t addr, std::uint16_t value) {
  return modbus::encode_write_single_register(addr, value);
}
Bytes write_multiple_coils(std::uint16_t addr, const std::vector<bool>& bits) {
  return modbus::encode_write_multiple_coils(addr, bits);
}
Bytes write_multiple_registers(std::uint16_t addr, std::span<const std::uint16_t> words) {
  return modbus::encode_write_multiple_registers(addr, words);
}
Bytes mask_write_register(std::uint16_t addr, std::uint16_t and_mask, std::uint16_t or_mask) {
  return modbus::encode_mask_write_register(addr, and_mask, or_mask);
}

std::vector<std::uint16_t> answer_registers(std::span<const std::uint8_t> ans, std::size_t count) {
  std::vector<std::uint16_t> out(count);
  for (std::size_t i = 0; i < count; ++i)
    out[i] = get16(ans, 2 + 2 * i);
  return out;
}

std::vector<bool> answer_bits(std::span<const std::uint8_t> ans, std::size_t count) {
  std::vector<bool> out(count);
  for (std::size_t i = 0; i < count; ++i)
    out[i] = (ans[2 + i / 8] >> (i % 8)) & 1;
  return out;
}

void answer_registers(std::span<const std::uint8_t> ans, std::span<std::uint16_t> out) {
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = get16(ans, 2 + 2 * i);
}

void answer_bits(std::span<const std::uint8_t> ans, std::span<std::uint16_t> out) {
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = (ans[2 + i / 8] >> (i % 8)) & 1;
}

std::string exception_text(std::uint8_t code) {
  std::string_view name = modbus::exception_name(code);
  return name.empty() ? fmt::format("exception {}", code) : std::string(name);
}

} // namespace iot::poll
