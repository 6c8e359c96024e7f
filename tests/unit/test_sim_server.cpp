// The simulator's event loop end to end inside one process: a site built in
// code, served on loopback TCP and a pty, read with plain sockets.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "iot/core/signals.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/crc.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/record/output.hpp"
#include "iot/sim/sim.hpp"

namespace mb = iot::modbus;
using namespace std::chrono_literals;

namespace {

iot::config::Site make_site() {
  iot::config::Site site;
  site.name = "test";
  iot::config::Port tcp;
  tcp.name = "gw";
  tcp.url = "tcp://127.0.0.1:0";
  tcp.target = iot::transport::parse_target(tcp.url);
  tcp.settings.unknown_unit = 0x0B;
  for (std::uint8_t u : {1, 2}) {
    iot::config::Device d;
    d.name = "ctrl" + std::to_string(u);
    d.unit = u;
    for (std::uint16_t i = 0; i < 8; ++i) {
      iot::config::Point p;
      p.name = "ch" + std::to_string(i + 1);
      p.ref = {iot::values::Table::holding_register, i};
      p.writable = true;
      iot::config::GeneratorSpec g;
      g.value = u * 100 + i;
      p.generator = g;
      d.points.push_back(p);
    }
    tcp.devices.push_back(d);
  }
  site.ports.push_back(tcp);
  iot::config::Port rtu = tcp;
  rtu.name = "bus";
  rtu.url = "rtu:pty?baud=115200";
  rtu.target = iot::transport::parse_target(rtu.url);
  rtu.devices.resize(1);
  site.ports.push_back(rtu);
  return site;
}

std::string read_line(int fd) {
  std::string line;
  char ch;
  while (::read(fd, &ch, 1) == 1 && ch != '\n')
    line.push_back(ch);
  return line;
}

std::string field(const std::string& line, const std::string& key, std::size_t from = 0) {
  auto at = line.find("\"" + key + "\":\"", from);
  if (at == std::string::npos) return {};
  at += key.size() + 4;
  return line.substr(at, line.find('"', at) - at);
}

mb::Bytes exchange(int fd, const mb::Bytes& req, std::size_t want, int timeout_ms = 2000) {
  REQUIRE(::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  mb::Bytes got;
  while (got.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) break;
    std::uint8_t buf[512];
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.insert(got.end(), buf, buf + n);
  }
  return got;
}

} // namespace

TEST_CASE("iot::sim::serve TCP and pty end to end") {
  const auto site = make_site();
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  iot::sim::Options opt;
  opt.commands = false;
  opt.duration = 10s;
  std::thread server([&] {
    iot::LineSink out(pipefd[1], true);
    iot::sim::serve(site, opt, out);
    ::close(pipefd[1]);
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      iot::request_stop();
      t.join();
    }
  } joiner{server};
  const auto ready = read_line(pipefd[0]);
  REQUIRE(ready.find("\"kind\":\"ready\"") != std::string::npos);
  const auto url = field(ready, "url");
  REQUIRE(url.rfind("tcp://127.0.0.1:", 0) == 0);
  const int port = std::stoi(url.substr(url.rfind(':') + 1));
  const auto pty_path = field(ready, "path");
  REQUIRE(pty_path.rfind("/dev/pts/", 0) == 0);

  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);

  auto reply = exchange(s, mb::wrap_tcp(7, 2, mb::encode_read_request(3, 0, 3)), 15);
  REQUIRE(reply.size() == 15);
  CHECK(reply[1] == 7);
  CHECK(reply[6] == 2);
  CHECK(reply[10] == 200);
  CHECK(reply[14] == 202);

  // Unit nobody has: the port's gateway exception.
  reply = exchange(s, mb::wrap_tcp(8, 9, mb::encode_read_request(3, 0, 1)), 9);
  CHECK(reply == mb::wrap_tcp(8, 9, mb::encode_exception(3, 0x0B)));

  // Write then read back.
  reply = exchange(s, mb::wrap_tcp(9, 1, mb::encode_write_single_register(4, 4242)), 12);
  reply = exchange(s, mb::wrap_tcp(10, 1, mb::encode_read_request(3, 4, 1)), 11);
  REQUIRE(reply.size() == 11);
  CHECK((reply[9] << 8 | reply[10]) == 4242);

  // Two requests in one segment (pipelined): two answers in order.
  auto two = mb::wrap_tcp(11, 1, mb::encode_read_request(3, 0, 1));
  auto second = mb::wrap_tcp(12, 2, mb::encode_read_request(3, 0, 1));
  two.insert(two.end(), second.begin(), second.end());
  reply = exchange(s, two, 22);
  REQUIRE(reply.size() == 22);
  CHECK(reply[1] == 11);
  CHECK(reply[12] == 12);
  ::close(s);

  // RTU on the pty, with wire timing at 115200 baud.
  const int tty = ::open(pty_path.c_str(), O_RDWR | O_NOCTTY);
  REQUIRE(tty >= 0);
  termios tio{};
  tcgetattr(tty, &tio);
  cfmakeraw(&tio);
  tcsetattr(tty, TCSANOW, &tio);
  reply = exchange(tty, mb::wrap_rtu(1, mb::encode_read_request(3, 0, 2)), 9);
  REQUIRE(reply.size() == 9);
  CHECK(mb::rtu_crc_ok(reply));
  CHECK(reply[4] == 100);
  CHECK(reply[6] == 101);
  // Unknown unit on a serial line: silence.
  reply = exchange(tty, mb::wrap_rtu(5, mb::encode_read_request(3, 0, 2)), 9, 300);
  CHECK(reply.empty());
  // Garbage before a request is skipped.
  auto noisy = mb::Bytes{0x00, 0xFF};
  auto req = mb::wrap_rtu(1, mb::encode_read_request(3, 1, 1));
  noisy.insert(noisy.end(), req.begin(), req.end());
  reply = exchange(tty, noisy, 7);
  REQUIRE(reply.size() == 7);
  CHECK(reply[4] == 101);
  ::close(tty);

  iot::request_stop();
  std::string rest;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0)
    rest.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  CHECK(rest.find("\"kind\":\"write\"") != std::string::npos);
  CHECK(rest.find("\"kind\":\"stats\"") != std::string::npos);
}
