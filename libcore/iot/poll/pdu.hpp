#pragma once
// The request PDUs iot-poll sends (encoded by iot::modbus) and the data of their answers,
// once iot::modbus::check_answer has accepted them.
// References: Modbus Application Protocol V1.1b3 §6.1-6.16.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace iot::poll {

using Bytes = std::vector<std::uint8_t>;

Bytes read_request(std::uint8_t fc, std::uint16_t addr, std::uint16_t count);                 // FC 01-04
Bytes write_single_coil(std::uint16_t addr, bool on);                                         // FC 05
Bytes write_single_register(std::uint16_t addr, std::uint16_t value);                         // FC 06
Bytes write_multiple_coils(std::uint16_t addr, const std::vector<bool>& bits);                // FC 0F
Bytes write_multiple_registers(std::uint16_t addr, std::span<const std::uint16_t> words);     // FC 10
Bytes mask_write_register(std::uint16_t addr, std::uint16_t and_mask, std::uint16_t or_mask); // FC 16

// Registers of a FC03/04 answer, bits of a FC01/02 answer (count items). Call after modbus::check_answer.
std::vector<std::uint16_t> answer_registers(std::span<const std::uint8_t> answer, std::size_t count);
std::vector<bool> answer_bits(std::span<const std::uint8_t> answer, std::size_t count);
// The same into a caller's buffer of out.size() items (bits as 0/1), without allocating.
void answer_registers(std::span<const std::uint8_t> answer, std::span<std::uint16_t> out);
void answer_bits(std::span<const std::uint8_t> answer, std::span<std::uint16_t> out);

// "illegal_data_address" ...
std::string exception_text(std::uint8_t code);

} // namespace iot::poll
