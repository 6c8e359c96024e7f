#pragma once
// Serial lines for Modbus RTU and ASCII: opening and configuring a port, RS-485
// direction control through RTS, pseudo-terminal pairs for the simulator, port
// listing for the sniffer, and the RTU character timings.
//
// Ports are opened with libserialport. libserialport 0.1.1 (Debian 12) refuses
// pseudo-terminals because they have no sysfs entry, so when it cannot find a
// port but the path is a tty, the port is opened and configured with termios.
// Either way the file descriptor is non-blocking and in raw mode, for poll().
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "iot/core/unique_fd.hpp"
#include "iot/transport/target.hpp"

struct sp_port;

namespace iot::transport {

class SerialLine {
public:
  // read_only is for passive listening (iot-decode sniff): nothing can be sent by mistake.
  enum class Access { read_write, read_only };
  // Opens and configures `path`; throws iot::Error(io) naming the path and the reason.
  // A read-write line is opened exclusively (flock and TIOCEXCL): a second open of
  // the same device, by this or another process, fails with "in use".
  static SerialLine open(const std::string& path, const SerialSettings& settings, Access access = Access::read_write);

  SerialLine() = default;
  SerialLine(SerialLine&& other) noexcept;
  SerialLine& operator=(SerialLine&& other) noexcept;
  SerialLine(const SerialLine&) = delete;
  SerialLine& operator=(const SerialLine&) = delete;
  ~SerialLine();

  bool is_open() const { return m_fd >= 0; }
  int fd() const { return m_fd; } // non-blocking, for poll()
  const std::string& path() const { return m_path; }
  const SerialSettings& settings() const { return m_settings; }
  bool via_libserialport() const { return m_port != nullptr; }

  // Changes baud, parity, data and stop bits (and the RTS mode). Throws iot::Error(io);
  // a baud rate termios does not know is an error except on a pseudo-terminal.
  void configure(const SerialSettings& settings);

  // Reads what is available now (0 when nothing); throws iot::Error(io) on errors.
  std::size_t read_some(std::span<std::uint8_t> buffer);
  // Writes what the driver takes now (may be less than asked, 0 when full).
  std::size_t write_some(std::span<const std::uint8_t> bytes);
  // Writes everything, waiting with poll() up to `timeout` in total, then waits until
  // the bytes have left the UART (tcdrain). With rts up/down the driver-enable line is
  // asserted before and released after. Throws iot::Error(timeout or io).
  void transmit(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout = std::chrono::seconds(1));
  // Sets RTS (asserted = true). Returns false when the device has no modem lines (ptys).
  bool set_rts(bool asserted);
  void drain();       // wait until output has been sent
  void flush_input(); // discard unread input
  void close();

private:
  int m_fd = -1;
  sp_port* m_port = nullptr;
  std::string m_path;
  SerialSettings m_settings;
  bool m_is_pty = false;
  bool m_exclusive = false; // TIOCEXCL set by us (cleared again on close)

  void make_exclusive();
};

// A pseudo-terminal pair the simulator serves on: it keeps the master and also holds
// the slave open (so the master never reads EIO between clients) with raw settings.
// Clients open slave_path() like any serial port.
class Pty {
public:
  int master_fd() const { return m_master.get(); } // non-blocking, raw
  const std::string& slave_path() const { return m_slave_path; }
  void close();

private:
  friend Pty open_pty_pair(const SerialSettings& settings);
  UniqueFd m_master;
  UniqueFd m_slave; // declared after the master: closed before it
  std::string m_slave_path;
};

// Creates a pty pair (posix_openpt) with `settings` applied to the slave side.
// Throws iot::Error(io).
Pty open_pty_pair(const SerialSettings& settings = {});

// A serial port as the system knows it (iot-decode sniff --list).
struct PortInfo {
  std::string name;        // "/dev/ttyUSB0"
  std::string description; // "FT232R USB UART - FT232R USB UART"
  std::string transport;   // "usb", "native", "bluetooth"
  std::optional<std::uint16_t> usb_vid, usb_pid;
  std::string usb_manufacturer, usb_product, usb_serial;
};
std::vector<PortInfo> list_ports(); // throws iot::Error(io) when enumeration fails

// RTU timing (Modbus over Serial Line V1.02 §2.5.1.1). A character is start bit + data
// bits + parity bit + stop bits (11 bits for 8E1 and 8N2). Inside a frame characters
// are at most t1.5 apart; frames are separated by at least t3.5 of silence. Above
// 19200 baud the spec fixes t1.5 = 750 us and t3.5 = 1750 us. Values are rounded up
// to whole microseconds.
struct RtuTiming {
  std::chrono::microseconds char_time;
  std::chrono::microseconds t1_5;
  std::chrono::microseconds t3_5;
};
unsigned bits_per_char(const SerialSettings& settings);
RtuTiming rtu_timing(const SerialSettings& settings);
// Time `bytes` characters take on the line.
std::chrono::microseconds transmit_time(const SerialSettings& settings, std::size_t bytes);

} // namespace iot::transport
