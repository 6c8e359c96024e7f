#pragma once
// Modbus ADUs: a PDU wrapped for a transport.
//  - RTU ([SL] §2.5.1): unit, PDU, CRC-16 low byte first.
//  - TCP ([TCP] §3.1.3): MBAP header (transaction id, protocol id 0, length = unit + PDU, unit), PDU.
//  - ASCII ([SL] §2.5.2): ':' then unit, PDU and LRC as upper-case hex pairs, then CR LF.
//  - RTU over TCP: RTU frames on a TCP stream; the bytes are the same as RTU.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "iot/modbus/pdu.hpp"

namespace iot::modbus {

enum class Framing : std::uint8_t { rtu, tcp, ascii, rtu_over_tcp };
// "rtu", "tcp", "ascii", "rtu-over-tcp".
std::string_view framing_name(Framing f) noexcept;
// Inverse of framing_name; also accepts "rtu_over_tcp" and "rtu+tcp".
std::optional<Framing> parse_framing(std::string_view name) noexcept;

// Wrapping. The append_* forms add to `out` (reuse one buffer); the others return a new one.
void append_rtu(Bytes& out, std::uint8_t unit, std::span<const std::uint8_t> pdu);
void append_tcp(Bytes& out, std::uint16_t tid, std::uint8_t unit, std::span<const std::uint8_t> pdu);
void append_ascii(Bytes& out, std::uint8_t unit, std::span<const std::uint8_t> pdu);
Bytes wrap_rtu(std::uint8_t unit, std::span<const std::uint8_t> pdu);
Bytes wrap_tcp(std::uint16_t tid, std::uint8_t unit, std::span<const std::uint8_t> pdu);
Bytes wrap_ascii(std::uint8_t unit, std::span<const std::uint8_t> pdu);
// Wraps for any framing (tid is used by TCP only).
Bytes wrap_adu(Framing framing, std::uint8_t unit, std::span<const std::uint8_t> pdu, std::uint16_t tid = 0);

// The binary form of an ASCII frame (unit + PDU + LRC) needs a buffer of this size.
inline constexpr std::size_t k_ascii_scratch_size = 256;
using AsciiScratch = std::array<std::uint8_t, k_ascii_scratch_size>;

// An unwrapped ADU. `pdu` points into the ADU bytes (RTU, TCP) or into the caller's scratch
// buffer (ASCII).
struct AduView {
  Framing framing = Framing::rtu;
  std::optional<std::uint8_t> unit; // absent when the frame is too short to hold one
  std::span<const std::uint8_t> pdu;
  std::optional<bool> check_ok;             // RTU: CRC matched; ASCII: LRC matched; TCP: absent
  std::optional<std::uint16_t> tid;         // TCP: transaction id
  std::optional<std::uint16_t> protocol_id; // TCP
  std::string_view error;                   // empty when the framing was well formed (check aside)
  bool ok() const { return error.empty() && check_ok.value_or(true); }
};

// Unwraps `adu` as `framing`, never throwing or reading out of bounds. A CRC/LRC mismatch is
// reported in check_ok (error stays empty) so the PDU can still be shown. ASCII accepts lower-
// case hex and a missing CR LF; `ascii_scratch` must be given for ASCII.
AduView unwrap_adu(std::span<const std::uint8_t> adu, Framing framing, AsciiScratch* ascii_scratch = nullptr) noexcept;

// Guesses the framing of one frame: ASCII by a leading ':' and a valid LRC; TCP by an MBAP
// header with protocol id 0 whose length matches the byte count; RTU by a matching CRC. When
// both TCP and RTU fit, the one whose PDU decodes cleanly wins (TCP on a tie). RTU over TCP is
// never guessed (its bytes are RTU). nullopt when nothing fits: callers usually fall back to
// RTU, whose unwrap then reports check_ok = false.
std::optional<Framing> detect_framing(std::span<const std::uint8_t> bytes) noexcept;

// How long an RTU frame starting at bytes[0] (the unit address) is, from the bytes seen so far
// and the per-function layout of [AP] §6.x. `known`: `length` is the whole frame incl. CRC.
// `need_more`: at least `length` bytes are needed before the length can be told (or the frame
// is complete). `unknown`: the function code has no known layout in that direction, or the
// length would exceed 256 bytes. With Direction::unknown, request and response rules are both
// tried: equal lengths are `known`; otherwise the candidate whose CRC matches wins, `need_more`
// while one needs more bytes, else `unknown`.
struct RtuLength {
  enum Status : std::uint8_t { known, need_more, unknown };
  Status status = unknown;
  std::size_t length = 0;
};
RtuLength rtu_frame_length(std::span<const std::uint8_t> bytes, Direction dir) noexcept;

// Length of the Modbus/TCP frame at the start of a stream from its MBAP header ([TCP] §3.1.3):
// need_more (6) until the length field is in; unknown when the protocol id is not 0 or the
// length field is 0 or makes the frame longer than 260 bytes (the stream is out of step).
RtuLength tcp_frame_length(std::span<const std::uint8_t> bytes) noexcept;

// Length of the ASCII frame at the start of a stream, through its CR LF ([SL] §2.5.2.1):
// need_more while no LF has come; unknown when it does not start with ':' or grows past 513.
RtuLength ascii_frame_length(std::span<const std::uint8_t> bytes) noexcept;

} // namespace iot::modbus
