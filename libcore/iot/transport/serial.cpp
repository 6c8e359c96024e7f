#include "iot/transport/serial.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <libserialport.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "iot/core/error.hpp"

namespace iot::transport {

namespace {

std::string sp_message() {
  char* m = sp_last_error_message();
  std::string s = m ? m : "unknown error";
  sp_free_error_message(m);
  return s;
}

// termios speed constant for a rate, 0 when termios has none.
speed_t speed_of(std::uint32_t baud) {
  switch (baud) {
  case 50: return B50;
  case 75: return B75;
  case 110: return B110;
  case 134: return B134;
  case 150: return B150;
  case 200: return B200;
  case 300: return B300;
  case 600: return B600;
  case 1200: return B1200;
  case 1800: return B1800;
  case 2400: return B2400;
  case 4800: return B4800;
  case 9600: return B9600;
  case 19200: return B19200;
  case 38400: return B38400;
  case 57600: return B57600;
  case 115200: return B115200;
  case 230400: return B230400;
  case 460800: return B460800;
  case 500000: return B500000;
  case 576000: return B576000;
  case 921600: return B921600;
  case 1000000: return B1000000;
  case 1152000: return B1152000;
  case 1500000: return B1500000;
  case 2000000: return B2000000;
  case 2500000: return B2500000;
  case 3000000: return B3000000;
  case 3500000: return B3500000;
  case 4000000: return B4000000;
  default: return 0;
  }
}

// Raw mode with the frame settings; used for ptys and as the last step for every port
// so that no line discipline (echo, CR/LF mapping, XON/XOFF) touches Modbus bytes.
void apply_termios(int fd, const std::string& path, const SerialSettings* s, bool is_pty) {
  termios tio{};
  if (tcgetattr(fd, &tio) != 0) throw errno_error(fmt::format("{}: tcgetattr", path));
  cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_iflag &= ~static_cast<tcflag_t>(IXON | IXOFF | IXANY | INPCK | ISTRIP);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  if (s) {
    tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    tio.c_cflag |= s->data_bits == 7 && !is_pty ? CS7 : CS8;
    // A pty carries bytes, not bits: Linux keeps neither PARENB nor CS7 on it and glibc's
    // tcsetattr then reports EINVAL (it reads the settings back), so those two are only
    // set on real lines. PARODD is kept by the pty driver and set everywhere.
    if (s->parity != Parity::none && !is_pty) tio.c_cflag |= PARENB;
    if (s->parity == Parity::odd) tio.c_cflag |= PARODD;
    if (s->stop_bits == 2) tio.c_cflag |= CSTOPB;
    const speed_t sp = speed_of(s->baud);
    if (sp == 0 && !is_pty) throw io_error(fmt::format("{}: baud rate {} is not supported by termios", path, s->baud));
    if (sp != 0) {
      cfsetispeed(&tio, sp);
      cfsetospeed(&tio, sp);
    }
  }
  if (tcsetattr(fd, TCSANOW, &tio) != 0) throw errno_error(fmt::format("{}: tcsetattr", path));
}

void set_nonblocking(int fd, const std::string& path) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw errno_error(fmt::format("{}: fcntl", path));
}

// The result of one read() or write() on the non-blocking line: 0 when it could not move a
// byte now (no data, or the driver full); throws on real errors.
std::size_t bytes_moved(ssize_t result, std::string_view what, const std::string& path) {
  if (result >= 0) return static_cast<std::size_t>(result);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  throw errno_error(fmt::format("{} {}", what, path));
}

bool is_pty_path(int fd) {
  // Unix98 pty slaves are character devices under /dev/pts (major 136-143).
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  const unsigned maj = (static_cast<unsigned>(st.st_rdev) >> 8) & 0xFFF;
  return S_ISCHR(st.st_mode) && maj >= 136 && maj <= 143;
}

} // namespace

SerialLine SerialLine::open(const std::string& path, const SerialSettings& settings, Access access) {
  SerialLine line;
  line.m_path = path;
  sp_port* port = nullptr;
  std::string sp_error;
  if (sp_get_port_by_name(path.c_str(), &port) == SP_OK) {
    if (sp_open(port, access == Access::read_only ? SP_MODE_READ : SP_MODE_READ_WRITE) == SP_OK) {
      line.m_port = port;
      if (sp_get_port_handle(port, &line.m_fd) != SP_OK) throw io_error(fmt::format("{}: no file descriptor", path));
    } else {
      sp_error = sp_message();
      sp_free_port(port);
    }
  }
  if (!line.m_port) {
    // libserialport 0.1.1 finds no sysfs entry for ptys (and some odd drivers), and may
    // refuse to open what it cannot classify: open and configure with termios instead.
    const int fd =
        ::open(path.c_str(), (access == Access::read_only ? O_RDONLY : O_RDWR) | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      if (!sp_error.empty()) throw io_error(fmt::format("cannot open serial port {}: {}", path, sp_error));
      throw errno_error(fmt::format("cannot open serial port {}", path));
    }
    line.m_fd = fd;
    if (!isatty(fd)) throw io_error(fmt::format("cannot open serial port {}: not a terminal device", path));
  }
  line.m_is_pty = is_pty_path(line.m_fd);
  if (access == Access::read_write) line.make_exclusive();
  set_nonblocking(line.m_fd, path);
  line.configure(settings);
  return line;
}

void SerialLine::make_exclusive() {
  // Two masters on one line garble each other's frames. flock() keeps out every other
  // process that locks (every iot tool), root included; TIOCEXCL (tty_ioctl(4)) keeps
  // out any later open() of the tty by processes without CAP_SYS_ADMIN.
  if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    close();
    if (err == EWOULDBLOCK)
      throw io_error(
          fmt::format("cannot open serial port {}: in use by another process (it holds a lock on it)", m_path));
    throw io_error(fmt::format("cannot open serial port {}: flock: {}", m_path, std::strerror(err)));
  }
  if (::ioctl(m_fd, TIOCEXCL) == 0) m_exclusive = true;
}

SerialLine::SerialLine(SerialLine&& o) noexcept
    : m_fd(std::exchange(o.m_fd, -1)), m_port(std::exchange(o.m_port, nullptr)), m_path(std::move(o.m_path)),
      m_settings(o.m_settings), m_is_pty(o.m_is_pty), m_exclusive(std::exchange(o.m_exclusive, false)) {}

SerialLine& SerialLine::operator=(SerialLine&& o) noexcept {
  if (this != &o) {
    close();
    m_fd = std::exchange(o.m_fd, -1);
    m_port = std::exchange(o.m_port, nullptr);
    m_path = std::move(o.m_path);
    m_settings = o.m_settings;
    m_is_pty = o.m_is_pty;
    m_exclusive = std::exchange(o.m_exclusive, false);
  }
  return *this;
}

SerialLine::~SerialLine() { close(); }

void SerialLine::close() {
  // The tty stays exclusive after our close() while another descriptor holds it open
  // (the simulator keeps its pty slave open): clear the mode so the line can be reopened.
  if (m_exclusive && m_fd >= 0) ::ioctl(m_fd, TIOCNXCL);
  m_exclusive = false;
  if (m_port) {
    sp_close(m_port);
    sp_free_port(m_port);
    m_port = nullptr;
    m_fd = -1;
  } else if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

void SerialLine::configure(const SerialSettings& s) {
  if (m_fd < 0) throw io_error("serial port is not open");
  if (m_port) {
    const sp_parity parity = s.parity == Parity::none   ? SP_PARITY_NONE
                             : s.parity == Parity::even ? SP_PARITY_EVEN
                                                        : SP_PARITY_ODD;
    if (sp_set_baudrate(m_port, static_cast<int>(s.baud)) != SP_OK || sp_set_bits(m_port, s.data_bits) != SP_OK ||
        sp_set_parity(m_port, parity) != SP_OK || sp_set_stopbits(m_port, s.stop_bits) != SP_OK ||
        sp_set_flowcontrol(m_port, SP_FLOWCONTROL_NONE) != SP_OK)
      throw io_error(fmt::format("cannot configure {} as {}: {}", m_path, describe(s), sp_message()));
    apply_termios(m_fd, m_path, nullptr, m_is_pty); // raw mode, keep the speed libserialport set
  } else {
    apply_termios(m_fd, m_path, &s, m_is_pty);
  }
  m_settings = s;
  // Receive state: the driver is released (RS-485 transceivers listen).
  if (s.rts != Rts::none) set_rts(s.rts == Rts::down);
}

std::size_t SerialLine::read_some(std::span<std::uint8_t> buffer) {
  if (buffer.empty()) return 0;
  return bytes_moved(::read(m_fd, buffer.data(), buffer.size()), "read from", m_path);
}

std::size_t SerialLine::write_some(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return 0;
  return bytes_moved(::write(m_fd, bytes.data(), bytes.size()), "write to", m_path);
}

void SerialLine::transmit(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout) {
  const Rts rts = m_settings.rts;
  if (rts != Rts::none) set_rts(rts == Rts::up);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t done = 0;
  while (done < bytes.size()) {
    done += write_some(bytes.subspan(done));
    if (done == bytes.size()) break;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (rts != Rts::none) set_rts(rts == Rts::down);
      throw timeout_error(fmt::format("write to {}: {} of {} bytes sent", m_path, done, bytes.size()));
    }
    pollfd p{m_fd, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(left.count()));
  }
  drain();
  if (rts != Rts::none) set_rts(rts == Rts::down);
}

bool SerialLine::set_rts(bool asserted) {
  int bits = TIOCM_RTS;
  return ioctl(m_fd, asserted ? TIOCMBIS : TIOCMBIC, &bits) == 0;
}

void SerialLine::drain() {
  // A pty master that nobody reads would block tcdrain forever; its bytes are
  // already in the other side's buffer, so there is nothing to wait for.
  if (m_is_pty) return;
  while (tcdrain(m_fd) != 0) {
    if (errno != EINTR) throw errno_error(fmt::format("drain {}", m_path));
  }
}

void SerialLine::flush_input() { tcflush(m_fd, TCIFLUSH); }

void Pty::close() {
  m_slave.reset();
  m_master.reset();
}

Pty open_pty_pair(const SerialSettings& settings) {
  Pty pty;
  pty.m_master.reset(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  const int master = pty.m_master.get();
  if (master < 0) throw errno_error("posix_openpt");
  if (grantpt(master) != 0 || unlockpt(master) != 0) throw errno_error("grantpt/unlockpt");
  char name[128];
  if (ptsname_r(master, name, sizeof name) != 0) throw errno_error("ptsname_r");
  pty.m_slave_path = name;
  pty.m_slave.reset(::open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!pty.m_slave.valid()) throw errno_error(fmt::format("open {}", name));
  apply_termios(pty.m_slave.get(), pty.m_slave_path, &settings, true);
  apply_termios(master, "pty master", nullptr, true);
  set_nonblocking(master, "pty master");
  return pty;
}

std::vector<PortInfo> list_ports() {
  sp_port** ports = nullptr;
  if (sp_list_ports(&ports) != SP_OK) throw io_error(fmt::format("cannot list serial ports: {}", sp_message()));
  std::vector<PortInfo> out;
  for (sp_port** p = ports; *p; ++p) {
    PortInfo info;
    const auto str = [](const char* s) { return s ? std::string(s) : std::string(); };
    info.name = str(sp_get_port_name(*p));
    info.description = str(sp_get_port_description(*p));
    switch (sp_get_port_transport(*p)) {
    case SP_TRANSPORT_USB: {
      info.transport = "usb";
      int vid = 0, pid = 0;
      if (sp_get_port_usb_vid_pid(*p, &vid, &pid) == SP_OK) {
        info.usb_vid = static_cast<std::uint16_t>(vid);
        info.usb_pid = static_cast<std::uint16_t>(pid);
      }
      info.usb_manufacturer = str(sp_get_port_usb_manufacturer(*p));
      info.usb_product = str(sp_get_port_usb_product(*p));
      info.usb_serial = str(sp_get_port_usb_serial(*p));
      break;
    }
    case SP_TRANSPORT_BLUETOOTH: info.transport = "bluetooth"; break;
    default: info.transport = "native"; break;
    }
    out.push_back(std::move(info));
  }
  sp_free_port_list(ports);
  return out;
}

unsigned bits_per_char(const SerialSettings& s) {
  return 1u + s.data_bits + (s.parity == Parity::none ? 0u : 1u) + s.stop_bits;
}

RtuTiming rtu_timing(const SerialSettings& s) {
  const double char_us = 1e6 * bits_per_char(s) / static_cast<double>(s.baud ? s.baud : 1);
  const auto up = [](double us) { return std::chrono::microseconds(static_cast<std::int64_t>(std::ceil(us - 1e-9))); };
  RtuTiming t{up(char_us), up(1.5 * char_us), up(3.5 * char_us)};
  if (s.baud > 19200) { // Modbus over Serial Line V1.02 §2.5.1.1: fixed values above 19200 baud
    t.t1_5 = std::chrono::microseconds(750);
    t.t3_5 = std::chrono::microseconds(1750);
  }
  return t;
}

std::chrono::microseconds transmit_time(const SerialSettings& s, std::size_t bytes) {
  const double us = 1e6 * bits_per_char(s) * static_cast<double>(bytes) / static_cast<double>(s.baud ? s.baud : 1);
  return std::chrono::microseconds(static_cast<std::int64_t>(std::ceil(us)));
}

} // namespace iot::transport
