#pragma once
// Protocol constants of Modbus, each citing where the specification defines it:
//  [AP]  Modbus Application Protocol Specification V1.1b3
//  [SL]  Modbus over Serial Line Specification and Implementation Guide V1.02
//  [TCP] Modbus Messaging on TCP/IP Implementation Guide V1.0b
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace iot::modbus {

// Public function codes the toolkit knows ([AP] §5.1 table, §6.x per function).
enum class FunctionCode : std::uint8_t {
  read_coils = 0x01,                    // [AP] §6.1
  read_discrete_inputs = 0x02,          // [AP] §6.2
  read_holding_registers = 0x03,        // [AP] §6.3
  read_input_registers = 0x04,          // [AP] §6.4
  write_single_coil = 0x05,             // [AP] §6.5
  write_single_register = 0x06,         // [AP] §6.6
  read_exception_status = 0x07,         // [AP] §6.7 (serial line only)
  diagnostics = 0x08,                   // [AP] §6.8 (serial line only)
  get_comm_event_counter = 0x0B,        // [AP] §6.9 (serial line only)
  get_comm_event_log = 0x0C,            // [AP] §6.10 (serial line only)
  write_multiple_coils = 0x0F,          // [AP] §6.11
  write_multiple_registers = 0x10,      // [AP] §6.12
  report_server_id = 0x11,              // [AP] §6.13 (serial line only)
  read_file_record = 0x14,              // [AP] §6.14
  write_file_record = 0x15,             // [AP] §6.15
  mask_write_register = 0x16,           // [AP] §6.16
  read_write_multiple_registers = 0x17, // [AP] §6.17
  read_fifo_queue = 0x18,               // [AP] §6.18
  // 0x2B is Encapsulated Interface Transport ([AP] §6.19); the toolkit uses it only with MEI
  // type 0x0E, Read Device Identification ([AP] §6.21), and names it after that.
  read_device_identification = 0x2B,
  encapsulated_interface_transport = 0x2B,
};

// The bit set in the function code of an exception response ([AP] §7).
inline constexpr std::uint8_t k_exception_bit = 0x80;

// MEI type of Read Device Identification inside FC 0x2B ([AP] §6.21).
inline constexpr std::uint8_t k_mei_read_device_id = 0x0E;

// Exception codes ([AP] §7, table "MODBUS Exception Codes"). 07 Negative Acknowledge comes
// from the older PI-MBUS-300 and is absent from V1.1b3, but devices and libmodbus still use it.
enum class ExceptionCode : std::uint8_t {
  illegal_function = 0x01,
  illegal_data_address = 0x02,
  illegal_data_value = 0x03,
  server_device_failure = 0x04,
  acknowledge = 0x05,
  server_device_busy = 0x06,
  negative_acknowledge = 0x07,
  memory_parity_error = 0x08,
  gateway_path_unavailable = 0x0A,
  gateway_target_failed_to_respond = 0x0B,
};

// Sizes.
inline constexpr std::size_t k_max_pdu_size = 253;       // [AP] §4.1 (256-byte serial ADU - address - CRC)
inline constexpr std::size_t k_max_rtu_adu_size = 256;   // [SL] §2.5.1.1 "RTU frame ... maximum 256 bytes"
inline constexpr std::size_t k_min_rtu_adu_size = 4;     // [SL] §2.5.1.1: address + function + CRC
inline constexpr std::size_t k_mbap_header_size = 7;     // [TCP] §3.1.3: tid(2) protocol(2) length(2) unit(1)
inline constexpr std::size_t k_max_tcp_adu_size = 260;   // [AP] §4.1: MBAP 7 + PDU 253
inline constexpr std::size_t k_max_ascii_adu_size = 513; // [SL] §2.5.2.1: ':' + 2*(1+253+1) hex + CR LF
inline constexpr std::uint16_t k_mbap_protocol_id = 0;   // [TCP] §3.1.3: 0 = MODBUS protocol

// Quantity limits of requests.
inline constexpr std::uint16_t k_max_read_bits = 2000;         // [AP] §6.1, §6.2: 1 to 2000 (0x7D0)
inline constexpr std::uint16_t k_max_read_registers = 125;     // [AP] §6.3, §6.4: 1 to 125 (0x7D)
inline constexpr std::uint16_t k_max_write_coils = 1968;       // [AP] §6.11: 1 to 1968 (0x7B0)
inline constexpr std::uint16_t k_max_write_registers = 123;    // [AP] §6.12: 1 to 123 (0x7B)
inline constexpr std::uint16_t k_max_rw_read_registers = 125;  // [AP] §6.17: read 1 to 125 (0x7D)
inline constexpr std::uint16_t k_max_rw_write_registers = 121; // [AP] §6.17: write 1 to 121 (0x79)
inline constexpr std::uint32_t k_address_space = 65536;        // [AP] §4.4: addresses 0-65535; start+quantity <= 65536
inline constexpr std::uint16_t k_coil_on = 0xFF00;             // [AP] §6.5: ON; 0x0000 OFF, other values illegal
inline constexpr std::uint16_t k_coil_off = 0x0000;

// Serial addresses ([SL] §2.2): 0 broadcast, 1-247 unicast, 248-255 reserved.
inline constexpr std::uint8_t k_broadcast_address = 0;
inline constexpr std::uint8_t k_max_unicast_address = 247;

// RTU timing ([SL] §2.5.1.1): a character is 11 bits; frames are separated by at least 3.5
// character times and a gap above 1.5 character times inside a frame breaks it. Above 19200
// baud the spec fixes t1.5 = 750 us and t3.5 = 1750 us.
inline constexpr unsigned k_bits_per_char = 11;
inline constexpr std::uint32_t k_fixed_timing_above_baud = 19200;
inline constexpr std::uint32_t k_fixed_t15_us = 750;
inline constexpr std::uint32_t k_fixed_t35_us = 1750;

// Microseconds per character at `baud` (11 bits per character unless told otherwise).
constexpr std::uint32_t char_time_us(std::uint32_t baud, unsigned bits = k_bits_per_char) {
  return baud == 0 ? 0 : static_cast<std::uint32_t>((1000000ull * bits + baud - 1) / baud);
}
// t3.5 and t1.5 at `baud` per [SL] §2.5.1.1.
constexpr std::uint32_t t35_us(std::uint32_t baud, unsigned bits = k_bits_per_char) {
  if (baud > k_fixed_timing_above_baud || baud == 0) return k_fixed_t35_us;
  return static_cast<std::uint32_t>((3500000ull * bits + baud - 1) / baud);
}
constexpr std::uint32_t t15_us(std::uint32_t baud, unsigned bits = k_bits_per_char) {
  if (baud > k_fixed_timing_above_baud || baud == 0) return k_fixed_t15_us;
  return static_cast<std::uint32_t>((1500000ull * bits + baud - 1) / baud);
}

// snake_case name of a function code (the exception bit is ignored), "unknown" otherwise.
std::string_view fc_name(std::uint8_t fc) noexcept;
// Whether `fc` (without the exception bit) is one of FunctionCode.
bool fc_known(std::uint8_t fc) noexcept;

// snake_case name of an exception code ("illegal_data_address"), "unknown" for 00, 09, 0C+.
std::string_view exception_name(std::uint8_t code) noexcept;

// Name of an object id of Read Device Identification ([AP] §6.21): "vendor_name",
// "product_code", "major_minor_revision", "vendor_url", "product_name", "model_name",
// "user_application_name"; "reserved" for 0x07-0x7F, "private" for 0x80-0xFF.
std::string_view device_id_object_name(std::uint8_t id) noexcept;

} // namespace iot::modbus
