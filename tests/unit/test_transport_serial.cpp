#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "iot/core/error.hpp"
#include "iot/transport/serial.hpp"

using namespace iot::transport;
using namespace std::chrono_literals;

namespace {
// Reads up to `want` bytes from fd, waiting at most ~2 s in total.
std::vector<std::uint8_t> read_fd(int fd, std::size_t want) {
  std::vector<std::uint8_t> out;
  for (int i = 0; i < 200 && out.size() < want; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) <= 0) continue;
    std::array<std::uint8_t, 256> buf{};
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  return out;
}
} // namespace

TEST_CASE("iot::transport::rtu_timing") {
  SerialSettings s; // 19200 8E1
  CHECK(bits_per_char(s) == 11);
  auto t = rtu_timing(s);
  CHECK(t.char_time == 573us); // 11 / 19200 s = 572.9 us
  CHECK(t.t1_5 == 860us);
  CHECK(t.t3_5 == 2006us);
  s.baud = 9600;
  t = rtu_timing(s);
  CHECK(t.char_time == 1146us); // 1145.8
  CHECK(t.t1_5 == 1719us);      // 1718.75
  CHECK(t.t3_5 == 4011us);      // 4010.4
  s.baud = 38400;               // above 19200: fixed values
  t = rtu_timing(s);
  CHECK(t.char_time == 287us);
  CHECK(t.t1_5 == 750us);
  CHECK(t.t3_5 == 1750us);
  s.baud = 115200;
  CHECK(rtu_timing(s).t3_5 == 1750us);
  s = {9600, Parity::none, 8, 2, Rts::none}; // 8N2 is also 11 bits
  CHECK(bits_per_char(s) == 11);
  s.stop_bits = 1; // 8N1 (common, not per spec): 10 bits
  CHECK(bits_per_char(s) == 10);
  CHECK(transmit_time(SerialSettings{9600, Parity::even, 8, 1, Rts::none}, 8) == 9167us);
}

TEST_CASE("iot::transport::pty pair with termios fallback") {
  Pty pty = open_pty_pair();
  REQUIRE(pty.master_fd() >= 0);
  REQUIRE(std::filesystem::exists(pty.slave_path()));
  const SerialSettings s{9600, Parity::even, 8, 1, Rts::none};
  SerialLine line = SerialLine::open(pty.slave_path(), s);
  CHECK(line.is_open());
  CHECK_FALSE(line.via_libserialport()); // libserialport 0.1.1 refuses ptys
  CHECK(line.settings() == s);

  termios tio{};
  REQUIRE(tcgetattr(line.fd(), &tio) == 0);
  CHECK(cfgetospeed(&tio) == B9600);
  // Linux's pty driver forces CS8 and clears PARENB whatever is asked (pty_set_termios),
  // so parity is only visible in the settings we keep; speed and stop bits stick.
  CHECK((tio.c_cflag & CSIZE) == CS8);
  CHECK((tio.c_cflag & PARODD) == 0);
  CHECK((tio.c_cflag & CSTOPB) == 0);
  CHECK((tio.c_lflag & (ICANON | ECHO)) == 0);

  // line -> master, including bytes a cooked tty would mangle (CR, XON, ^C)
  const std::vector<std::uint8_t> frame{0x01, 0x03, 0x0D, 0x11, 0x03, 0x00, 0x0A, 0xFF};
  line.transmit(frame);
  CHECK(read_fd(pty.master_fd(), frame.size()) == frame);

  // master -> line
  const std::vector<std::uint8_t> answer{0x01, 0x03, 0x02, 0x00, 0x2A, 0x39, 0x9B};
  REQUIRE(::write(pty.master_fd(), answer.data(), answer.size()) == static_cast<ssize_t>(answer.size()));
  std::vector<std::uint8_t> got;
  for (int i = 0; i < 200 && got.size() < answer.size(); ++i) {
    pollfd p{line.fd(), POLLIN, 0};
    ::poll(&p, 1, 10);
    std::array<std::uint8_t, 64> buf{};
    const auto n = line.read_some(buf);
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  CHECK(got == answer);
  std::array<std::uint8_t, 8> buf{};
  CHECK(line.read_some(buf) == 0); // non-blocking: nothing more

  // reconfigure: 19200 8O2
  line.configure(SerialSettings{19200, Parity::odd, 8, 2, Rts::none});
  REQUIRE(tcgetattr(line.fd(), &tio) == 0);
  CHECK(cfgetospeed(&tio) == B19200);
  CHECK((tio.c_cflag & CSTOPB) != 0);
  // Linux ptys refuse parity bits (the driver clears PARENB/PARODD), so the line keeps the
  // setting for timing and framing but does not ask the pty for it.
  CHECK(line.settings().parity == Parity::odd);

  // RS-485 direction control: a pty has no modem lines, so set_rts reports false and
  // transmit still sends everything.
  line.configure(SerialSettings{19200, Parity::even, 8, 1, Rts::up});
  CHECK(line.settings().rts == Rts::up);
  line.transmit(frame);
  CHECK(read_fd(pty.master_fd(), frame.size()) == frame);

  SerialLine moved = std::move(line);
  CHECK_FALSE(line.is_open());
  CHECK(moved.is_open());
  moved.close();
  CHECK_FALSE(moved.is_open());
}

TEST_CASE("iot::transport::SerialLine open errors") {
  CHECK_THROWS_WITH(SerialLine::open("/dev/does-not-exist-iot", {}),
                    Catch::Contains("cannot open serial port /dev/does-not-exist-iot"));
  char name[] = "/tmp/iot-serial-XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  CHECK_THROWS_WITH(SerialLine::open(name, {}), Catch::Contains("not a terminal device"));
  std::remove(name);
}

TEST_CASE("iot::transport::SerialLine opens a line exclusively") {
  Pty pty = open_pty_pair();
  SerialLine first = SerialLine::open(pty.slave_path(), {});
  // A second master on the same line, in this process or another, is refused.
  CHECK_THROWS_WITH(SerialLine::open(pty.slave_path(), {}), Catch::Contains("in use by another process"));
  // A passive listener (iot-decode sniff) takes no lock.
  CHECK_NOTHROW(SerialLine::open(pty.slave_path(), {}, SerialLine::Access::read_only));
  // Closed, the line can be opened again (the exclusive tty mode is cleared although
  // the pty's other end keeps the slave open).
  first.close();
  SerialLine again = SerialLine::open(pty.slave_path(), {});
  CHECK(again.is_open());
}

TEST_CASE("iot::transport::list_ports") {
  // Enumeration must work even on a machine without serial hardware.
  const auto ports = list_ports();
  for (const auto& p : ports) {
    CHECK_FALSE(p.name.empty());
    CHECK_FALSE(p.transport.empty());
  }
}
