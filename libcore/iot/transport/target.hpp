#pragma once
// Where a tool talks Modbus: a target URL names the transport and its address.
//   tcp://host[:port]         Modbus/TCP (MBAP), port 502
//   udp://host[:port]         MBAP over UDP, port 502
//   rtu+tcp://host[:port]     RTU frames over a TCP stream (serial servers), port 502
//   rtu:/dev/ttyUSB0?baud=9600&parity=E&data=8&stop=1&rts=up
//   ascii:/dev/ttyS0?...      Modbus ASCII on a serial line
//   rtu:pty, ascii:pty        the simulator creates a pseudo-terminal and prints its path
// Serial defaults are 19200 baud, 8 data bits, even parity, 1 stop bit
// (Modbus over Serial Line V1.02 §2.5.1: "even parity is required", 19200 the default).
#include <cstdint>
#include <string>
#include <string_view>

namespace iot::transport {

enum class Scheme { tcp, udp, rtu_over_tcp, rtu, ascii };
enum class Parity { none, even, odd };
// RS-485 driver enable through RTS: none leaves RTS alone; up raises RTS while
// transmitting (and lowers it to receive); down is the inverse.
enum class Rts { none, up, down };

struct SerialSettings {
  std::uint32_t baud = 19200;
  Parity parity = Parity::even;
  std::uint8_t data_bits = 8; // 7 or 8 (7 only makes sense for ASCII)
  std::uint8_t stop_bits = 1; // 1 or 2
  Rts rts = Rts::none;
  friend bool operator==(const SerialSettings&, const SerialSettings&) = default;
};

struct Target {
  Scheme scheme = Scheme::tcp;
  std::string host; // tcp, udp, rtu+tcp ("::1" without brackets)
  std::uint16_t port = 502;
  std::string device; // rtu, ascii: the device path; empty when pty
  bool pty = false;   // rtu:pty / ascii:pty
  SerialSettings serial;

  bool is_serial() const { return scheme == Scheme::rtu || scheme == Scheme::ascii; }
  bool is_network() const { return !is_serial(); }
  // MBAP header (tcp, udp) rather than serial framing (rtu, ascii, rtu+tcp).
  bool uses_mbap() const { return scheme == Scheme::tcp || scheme == Scheme::udp; }
  // RTU framing with CRC (rtu, rtu+tcp).
  bool uses_rtu_framing() const { return scheme == Scheme::rtu || scheme == Scheme::rtu_over_tcp; }
};

// Parses a target URL; throws iot::Error(usage) naming the bad part.
// Query keys for serial targets: baud (50-4000000), parity (N|E|O|none|even|odd),
// data (7|8), stop (1|2), rts (none|up|down). A scheme-less "/dev/..." is rtu; a
// bare "host" or "host:port" is tcp.
Target parse_target(std::string_view url);

// Canonical text: "tcp://host:502", "rtu:/dev/ttyUSB0?baud=9600&parity=E&data=8&stop=1",
// "rtu:pty?baud=19200&parity=E&data=8&stop=1" (rts only when not none). IPv6 hosts in brackets.
std::string to_string(const Target& target);
std::string_view scheme_name(Scheme scheme); // "tcp", "udp", "rtu+tcp", "rtu", "ascii"
std::string_view parity_name(Parity parity); // "N", "E", "O"
std::string_view rts_name(Rts rts);          // "none", "up", "down"
// Settings such as "9600 8E1" for messages.
std::string describe(const SerialSettings& settings);

Parity parse_parity(std::string_view text); // throws iot::Error(usage)
Rts parse_rts(std::string_view text);       // throws iot::Error(usage)

} // namespace iot::transport
