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

AnswerCheck check_answer(std::span<const std::uint8_t> req, std::span<const std::uint8_t> ans) {
  AnswerCheck c;
  if (ans.empty()) {
    c.error = "empty answer";
    return c;
  }
  const std::uint8_t fc = req[0];
  if (ans[0] == (fc | 0x80)) {
    if (ans.size() < 2) {
      c.error = "exception answer without a code";
      return c;
    }
    c.exception = ans[1];
    return c;
  }
  if (ans[0] != fc) {
    c.error = fmt::format("answer has function code {}, expected {}", ans[0], fc);
    return c;
  }
  switch (fc) {
  case 0x01:
  case 0x02:
  case 0x03:
  case 0x04: {
    const std::size_t count = get16(req, 3);
    const std::size_t want = fc <= 2 ? (count + 7) / 8 : count * 2;
    if (ans.size() < 2 || ans[1] != want || ans.size() != 2 + want) {
      c.error = fmt::format("answer carries {} data bytes, expected {}", ans.size() >= 2 ? ans[1] : 0, want);
      return c;
    }
    break;
  }
  case 0x05:
  case 0x06:
  case 0x16:
    if (ans.size() != req.size() || !std::equal(ans.begin(), ans.end(), req.begin())) {
      c.error = "answer does not echo the request";
      return c;
    }
    break;
  case 0x0F:
  case 0x10:
    if (ans.size() != 5 || !std::equal(ans.begin(), ans.end(), req.begin())) {
      c.error = "answer does not repeat address and quantity";
      return c;
    }
    break;
  default: break;
  }
  c.ok = true;
  return c;
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
