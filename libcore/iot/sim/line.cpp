#include "iot/sim/line.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>

#include "iot/core/error.hpp"

namespace iot::sim {

namespace {

speed_t speed_of(std::uint32_t baud) {
  switch (baud) {
  case 1200: return B1200;
  case 2400: return B2400;
  case 4800: return B4800;
  case 9600: return B9600;
  case 19200: return B19200;
  case 38400: return B38400;
  case 57600: return B57600;
  case 115200: return B115200;
  case 230400: return B230400;
  case 460800: return B460800;
  case 921600: return B921600;
  default: return 0;
  }
}

void configure(int fd, const transport::SerialSettings& s, bool strict_speed, const std::string& what) {
  termios tio{};
  if (tcgetattr(fd, &tio) != 0) throw errno_error(what + ": tcgetattr");
  cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB);
  tio.c_cflag |= s.data_bits == 7 ? CS7 : CS8;
  if (s.parity != transport::Parity::none) tio.c_cflag |= PARENB;
  if (s.parity == transport::Parity::odd) tio.c_cflag |= PARODD;
  if (s.stop_bits == 2) tio.c_cflag |= CSTOPB;
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (speed_t sp = speed_of(s.baud); sp != 0) {
    cfsetispeed(&tio, sp);
    cfsetospeed(&tio, sp);
  } else if (strict_speed) {
    throw io_error(what + ": unsupported baud rate " + std::to_string(s.baud));
  }
  if (tcsetattr(fd, TCSANOW, &tio) != 0) throw errno_error(what + ": tcsetattr");
}

} // namespace

unsigned bits_per_char(const transport::SerialSettings& s) {
  return 1u + s.data_bits + (s.parity == transport::Parity::none ? 0u : 1u) + s.stop_bits;
}

PtyLine open_pty(const transport::SerialSettings& settings) {
  PtyLine line;
  line.master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (line.master < 0) throw errno_error("posix_openpt");
  if (grantpt(line.master) != 0 || unlockpt(line.master) != 0) {
    ::close(line.master);
    throw errno_error("pty");
  }
  const char* name = ptsname(line.master);
  if (name == nullptr) {
    ::close(line.master);
    throw errno_error("ptsname");
  }
  line.path = name;
  line.keep_slave = ::open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (line.keep_slave < 0) {
    ::close(line.master);
    throw errno_error(line.path);
  }
  // Raw on the slave side so nothing is echoed or translated before a poller sets
  // its own modes; the speed is only informative on a pty.
  configure(line.keep_slave, settings, false, line.path);
  return line;
}

int open_serial(const std::string& path, const transport::SerialSettings& settings) {
  const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw errno_error(path);
  try {
    configure(fd, settings, true, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  return fd;
}

} // namespace iot::sim
