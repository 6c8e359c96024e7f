#pragma once
// One Modbus frame from bytes to a `frame` record (docs/record-format.md): unwrap the ADU,
// decode the PDU and write the fields. Shared by iot-decode, iot-sim --log and iot-poll --trace.
// Decoding does not allocate; reuse one DecodedFrame for a stream of frames.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "iot/core/time.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/record/json_writer.hpp"

namespace iot::modbus {

struct DecodedFrame {
  DecodedFrame() = default;
  // adu.pdu and pdu point into `raw` or into `scratch`: copying would leave them dangling.
  DecodedFrame(const DecodedFrame&) = delete;
  DecodedFrame& operator=(const DecodedFrame&) = delete;

  std::span<const std::uint8_t> raw; // the frame as given
  AduView adu;
  DecodedPdu pdu;
  AsciiScratch scratch{};

  // adu.error, else pdu.error; empty when the frame decoded in full (a CRC mismatch is not an
  // error: it is reported as crc_ok=false).
  std::string_view error() const { return adu.error.empty() ? pdu.error : adu.error; }
};

// Unwraps `bytes` as `framing` (detected when nullopt; RTU when nothing fits) and decodes its
// PDU in direction `dir`. Never throws; `bytes` must outlive `out`.
void decode_frame(std::span<const std::uint8_t> bytes, std::optional<Framing> framing, Direction dir,
                  DecodedFrame& out) noexcept;

// Pairs responses with the request before them, for a stream of decoded frames in order (a
// capture, a log): a response takes addr and count from its request (FC 01/02 bits are cut to
// the requested count) and a frame whose direction its bytes leave open (the echo of FC 05,
// 06, 08, 16) becomes the response when it follows a request of the same unit and function,
// else a request. On TCP the transaction id must match too. Keeps a copy of one request.
class FramePairer {
public:
  // Returns true when `f` was paired as a response.
  bool pair(DecodedFrame& f);
  void reset() { m_have = false; }

private:
  std::array<std::uint8_t, k_max_pdu_size> m_pdu{};
  std::size_t m_size = 0;
  std::uint8_t m_unit = 0;
  std::optional<std::uint16_t> m_tid;
  bool m_have = false;
};

// Writes the fields of a `frame` record after begin_record(ts, "frame"): framing, direction,
// unit, fc, fc_name, addr, count, FC-specific fields, values, exception {code, name}, crc_ok
// (RTU, ASCII), tid (TCP), hex, error. The caller may add more (src, dst, latency_ms) and
// ends the object.
void write_frame_fields(JsonWriter& w, const DecodedFrame& f);

// The same fields as JSON text without braces (a record::Frame's members); valid until the
// next call on this thread.
std::string_view frame_members(const DecodedFrame& f);

// A whole `frame` record: begin_record, write_frame_fields, end_object.
void write_frame_record(JsonWriter& w, TimePoint ts, const DecodedFrame& f);

// Parses hex text ("01 03 00 00 00 04 44 09", "0103000000044409", "0x01 0x03 ...") into
// bytes appended to `out` (cleared first). Spaces, tabs, ',' and '-' separate; a byte may be
// written as one digit only when separated. False on any other character.
bool parse_hex_bytes(std::string_view text, Bytes& out);

} // namespace iot::modbus
