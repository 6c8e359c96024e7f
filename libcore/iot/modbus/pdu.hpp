#pragma once
// Modbus PDUs (function code + data, [AP] §4.1): encoders for requests and responses, and a
// decoder for bytes from the wire. The decoder never throws and never reads out of bounds;
// what it cannot accept it reports in DecodedPdu::error. It does not allocate: spans in the
// result point into the decoded bytes, which must outlive the result.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "iot/modbus/spec.hpp"

namespace iot::modbus {

using Bytes = std::vector<std::uint8_t>;

enum class Direction : std::uint8_t { request, response, unknown };
// "request", "response", "unknown".
std::string_view direction_name(Direction d) noexcept;

// One object of Read Device Identification ([AP] §6.21).
struct DeviceIdObject {
  std::uint8_t id = 0;
  std::string_view value;
};

// Iterates the objects of a decoded 2B/0E response (validated by decode_pdu).
class DeviceIdObjects {
public:
  class iterator {
  public:
    iterator(const std::uint8_t* p, std::size_t left) : m_p(p), m_left(left) {}
    DeviceIdObject operator*() const {
      return {m_p[0], std::string_view(reinterpret_cast<const char*>(m_p + 2), m_p[1])};
    }
    iterator& operator++() {
      m_p += 2 + m_p[1];
      --m_left;
      return *this;
    }
    bool operator==(const iterator& o) const { return m_left == o.m_left; }
    bool operator!=(const iterator& o) const { return m_left != o.m_left; }

  private:
    const std::uint8_t* m_p;
    std::size_t m_left;
  };
  DeviceIdObjects() = default;
  DeviceIdObjects(std::span<const std::uint8_t> bytes, std::size_t count) : m_bytes(bytes), m_count(count) {}
  iterator begin() const { return {m_bytes.data(), m_count}; }
  iterator end() const { return {nullptr, 0}; }
  std::size_t size() const { return m_count; }
  bool empty() const { return m_count == 0; }

private:
  std::span<const std::uint8_t> m_bytes;
  std::size_t m_count = 0;
};

// What the values of a PDU are: 16-bit registers (big-endian on the wire) or bits (packed,
// least significant bit of the first byte first, [AP] §6.1).
enum class ValueKind : std::uint8_t { none, registers, bits };

struct DecodedPdu {
  std::span<const std::uint8_t> pdu; // the bytes decoded
  std::uint8_t fc = 0;               // without the exception bit
  Direction direction = Direction::unknown;
  std::optional<std::uint8_t> exception;   // exception code of an exception response
  std::optional<std::uint16_t> addr;       // first address (read address for FC 17)
  std::optional<std::uint16_t> count;      // quantity of registers or bits (read quantity for FC 17)
  std::optional<std::uint16_t> byte_count; // the byte count field, where the PDU has one (16-bit in FC 18)

  // Values carried: registers read or written, coils/inputs read or written, the value of FC 05
  // (a bit) and FC 06 (a register), FC 07 status (8 bits), FC 0B status + event count, FC 18
  // FIFO registers. For bit responses without the request, value_count is byte_count * 8.
  ValueKind value_kind = ValueKind::none;
  std::uint16_t value_count = 0;
  std::span<const std::uint8_t> value_bytes;

  // FC 08 diagnostics: sub-function and its data. FC 0C, 14, 15, 2B other MEI: `data` is the
  // payload after the byte count (or after the MEI type).
  std::optional<std::uint16_t> sub_function;
  std::span<const std::uint8_t> data;
  // FC 16 mask write.
  std::optional<std::uint16_t> and_mask;
  std::optional<std::uint16_t> or_mask;
  // FC 17 read/write: the write part of the request (the read part is addr/count).
  std::optional<std::uint16_t> write_addr;
  std::optional<std::uint16_t> write_count;
  std::span<const std::uint8_t> write_bytes;
  // FC 11 report server id response: the bytes after the byte count (device specific), and
  // the run indicator taken from the second of them (0x00 OFF, 0xFF ON; the common layout of
  // a one-byte server id, e.g. libmodbus) when it is one of those two values.
  std::span<const std::uint8_t> server_id;
  std::optional<bool> run_indicator;
  // FC 2B: MEI type; for 0E also read code, object id, and in responses conformity level,
  // more follows, next object id and the objects.
  std::optional<std::uint8_t> mei_type;
  std::optional<std::uint8_t> read_code;
  std::optional<std::uint8_t> object_id;
  std::optional<std::uint8_t> conformity;
  std::optional<bool> more_follows;
  std::optional<std::uint8_t> next_object;
  std::uint8_t object_count = 0;
  std::span<const std::uint8_t> object_bytes;

  // Empty when the PDU was decoded in full; else why not (a static string).
  std::string_view error;

  bool ok() const { return error.empty(); }
  bool is_exception() const { return exception.has_value(); }
  std::uint16_t word(std::size_t i) const {
    return static_cast<std::uint16_t>(value_bytes[2 * i] << 8 | value_bytes[2 * i + 1]);
  }
  bool bit(std::size_t i) const { return (value_bytes[i / 8] >> (i % 8)) & 1u; }
  std::uint16_t write_word(std::size_t i) const {
    return static_cast<std::uint16_t>(write_bytes[2 * i] << 8 | write_bytes[2 * i + 1]);
  }
  // Copies, for callers that keep values beyond the decoded bytes.
  std::vector<std::uint16_t> words() const;
  std::vector<bool> bits() const;
  std::vector<std::uint16_t> write_words() const;
  DeviceIdObjects objects() const { return {object_bytes, object_count}; }
};

// Decodes a PDU. With Direction::unknown the direction is decided by structure:
//  - 01-04: a 5-byte PDU is a request, one whose byte count matches its length a response. For
//    FC 01/02 a 5-byte PDU with byte count 3 fits both; it is taken as a request when its
//    quantity and address are valid, else as a response.
//  - 0F, 10: 5 bytes = response, longer = request (its byte count must match).
//  - 17: byte-count-consistent response vs request layout; a PDU consistent as both is a request.
//  - 07, 0B, 0C, 11: 1 byte = request. 18: 3 bytes = request. 2B/0E: 4 bytes = request.
//  - 05, 06, 08, 16: a normal response echoes the request, so direction stays unknown.
//  - fc with the exception bit: an exception response.
DecodedPdu decode_pdu(std::span<const std::uint8_t> pdu, Direction dir) noexcept;
// Same, into an existing result (reset first).
void decode_pdu(std::span<const std::uint8_t> pdu, Direction dir, DecodedPdu& out) noexcept;

// Completes a decoded response with what its request said: addr and count (FC 01-04, 17), and
// trims bits of FC 01/02 to the requested count. Does nothing when they do not belong together.
void pair_with_request(DecodedPdu& response, const DecodedPdu& request) noexcept;

// The exception code a server answers a request with that decode_pdu rejected, following the
// state diagrams of [AP] §6.x: 01 for an unknown function code, 02 when address + quantity
// leave the address space, 03 for anything else (quantity, byte count, coil value, length).
// 0 when the request decoded cleanly.
std::uint8_t exception_for(const DecodedPdu& request) noexcept;

// Length of the normal response PDU to `request_pdu` ([AP] §6.x), or nullopt when it cannot be
// known from the request (FC 0C, 11, 14, 15, 18, 2B, unknown FCs) or the request is malformed.
// An exception response is always 2 bytes.
std::optional<std::size_t> expected_response_pdu_length(std::span<const std::uint8_t> request_pdu) noexcept;

// Encoders. They throw iot::Error(usage) when asked for something the spec does not allow
// (quantity out of limits, PDU over 253 bytes): their input comes from users, not the wire.
// FC 01-04 request.
Bytes encode_read_request(std::uint8_t fc, std::uint16_t addr, std::uint16_t count);
// FC 01/02 response (bits packed LSB first, padded with 0).
Bytes encode_read_bits_response(std::uint8_t fc, std::span<const bool> bits);
Bytes encode_read_bits_response(std::uint8_t fc, const std::vector<bool>& bits);
// The same from a server's table of states (one word per bit, non-zero is ON), appended to
// `out` (a server's reused reply buffer: no allocation).
void append_read_bits_response(Bytes& out, std::uint8_t fc, std::span<const std::uint16_t> states);
// FC 03/04/17 response.
Bytes encode_read_registers_response(std::uint8_t fc, std::span<const std::uint16_t> words);
// The same, appended to `out` (a server's reused reply buffer: no allocation).
void append_read_registers_response(Bytes& out, std::uint8_t fc, std::span<const std::uint16_t> words);
// FC 05 request and its (echo) response.
Bytes encode_write_single_coil(std::uint16_t addr, bool on);
// FC 06 request and response.
Bytes encode_write_single_register(std::uint16_t addr, std::uint16_t value);
// FC 08 request and response (sub-function 0x0000 echoes the data).
Bytes encode_diagnostics(std::uint16_t sub_function, std::span<const std::uint8_t> data);
// FC 0F request.
Bytes encode_write_multiple_coils(std::uint16_t addr, std::span<const bool> bits);
Bytes encode_write_multiple_coils(std::uint16_t addr, const std::vector<bool>& bits);
// FC 10 request.
Bytes encode_write_multiple_registers(std::uint16_t addr, std::span<const std::uint16_t> words);
// FC 0F/10 response.
Bytes encode_write_multiple_response(std::uint8_t fc, std::uint16_t addr, std::uint16_t count);
// FC 11 request and response (byte count, server id, run indicator 0x00/0xFF, additional data).
Bytes encode_report_server_id_request();
Bytes encode_report_server_id_response(std::span<const std::uint8_t> server_id, bool running,
                                       std::span<const std::uint8_t> additional = {});
// FC 16 request and response.
Bytes encode_mask_write_register(std::uint16_t addr, std::uint16_t and_mask, std::uint16_t or_mask);
// FC 17 request; its response is encode_read_registers_response(0x17, words).
Bytes encode_read_write_registers(std::uint16_t read_addr, std::uint16_t read_count, std::uint16_t write_addr,
                                  std::span<const std::uint16_t> write_words);
// FC 2B/0E request: read code 1 basic, 2 regular, 3 extended (stream), 4 one object.
Bytes encode_device_id_request(std::uint8_t read_code, std::uint8_t object_id);
// FC 2B/0E response with exactly these objects.
Bytes encode_device_id_response(std::uint8_t read_code, std::uint8_t conformity, bool more_follows,
                                std::uint8_t next_object, std::span<const DeviceIdObject> objects);
// FC 2B/0E response a server gives to `read_code`/`object_id`, choosing from `available`
// (sorted by id): the category of the read code (1: 0x00-0x02, 2: 0x00-0x7F, 3: 0x00-0xFF,
// 4: that object only) from `object_id` on, as many as fit in one PDU, with more_follows and
// next_object set for paging ([AP] §6.21). An object id that does not exist restarts at 0 for
// codes 1-3 and gives exception 02 for code 4; read code 0 or above 4 gives exception 03.
Bytes serve_device_id_request(std::uint8_t read_code, std::uint8_t object_id, std::uint8_t conformity,
                              std::span<const DeviceIdObject> available);
// Exception response: fc | 0x80, code ([AP] §7).
Bytes encode_exception(std::uint8_t fc, std::uint8_t code);
Bytes encode_exception(std::uint8_t fc, ExceptionCode code);

} // namespace iot::modbus
