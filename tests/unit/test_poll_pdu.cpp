#include <catch2/catch.hpp>

#include "iot/poll/pdu.hpp"

using namespace iot::poll;

TEST_CASE("iot::poll::answer_registers and answer_bits into a caller's buffer") {
  // FC03 answer for 3 registers: byte count 6, then big-endian words (V1.1b3 §6.3).
  const std::vector<std::uint8_t> regs{0x03, 0x06, 0x00, 0x01, 0xFF, 0xFF, 0x12, 0x34};
  std::vector<std::uint16_t> out(3);
  answer_registers(regs, out);
  CHECK(out == std::vector<std::uint16_t>{1, 0xFFFF, 0x1234});
  CHECK(out == answer_registers(regs, 3));
  // FC01 answer for 10 coils: LSB of the first byte is the first coil (§6.1).
  const std::vector<std::uint8_t> coils{0x01, 0x02, 0b1000'0101, 0b0000'0010};
  std::vector<std::uint16_t> bits(10);
  answer_bits(coils, bits);
  CHECK(bits == std::vector<std::uint16_t>{1, 0, 1, 0, 0, 0, 0, 1, 0, 1});
  const auto as_bool = answer_bits(coils, 10);
  for (std::size_t i = 0; i < bits.size(); ++i)
    CHECK(as_bool[i] == (bits[i] != 0));
}
