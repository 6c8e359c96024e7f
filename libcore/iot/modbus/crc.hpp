#pragma once
// Frame checks of the serial framings.
//  - RTU: CRC-16/MODBUS (Modbus over Serial Line V1.02 §2.5.1.2 and §6.2.2): polynomial 0x8005
//    processed reflected (0xA001), initial value 0xFFFF, no final XOR, sent low byte first.
//  - ASCII: LRC (Modbus over Serial Line V1.02 §2.5.2.2 and §6.2.1): two's complement of the
//    8-bit sum of the address and PDU bytes.
#include <cstdint>
#include <span>

namespace iot::modbus {

// CRC-16/MODBUS of `data`. Check value: crc16("123456789") == 0x4B37.
std::uint16_t crc16(std::span<const std::uint8_t> data) noexcept;

// Continues a CRC over more bytes (start with 0xFFFF), for data that arrives in pieces.
std::uint16_t crc16_update(std::uint16_t crc, std::span<const std::uint8_t> data) noexcept;

// Whether an RTU frame (address + PDU + CRC low byte first) carries a matching CRC.
// Recomputing the CRC over a whole frame including its CRC yields 0 exactly when it matches.
bool rtu_crc_ok(std::span<const std::uint8_t> frame) noexcept;

// LRC of `data` (address + PDU, binary).
std::uint8_t lrc(std::span<const std::uint8_t> data) noexcept;

} // namespace iot::modbus
