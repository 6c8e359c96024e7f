#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "iot/core/error.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/transport/client.hpp"

using namespace iot::transport;
using namespace std::chrono_literals;

namespace {

// A one-connection TCP peer that answers each request with what `script` returns
// for it (the request ADU in, the bytes to send back out). With `close_after` it closes
// the connection once it has handled request number `close_after`.
class ScriptedPeer {
public:
  using Script = std::function<std::vector<std::uint8_t>(const std::vector<std::uint8_t>& request, int n)>;
  explicit ScriptedPeer(Script script, int close_after = -1) : m_script(std::move(script)), m_close_after(close_after) {
    m_listen = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len);
    m_port = ntohs(a.sin_port);
    ::listen(m_listen, 1);
    m_thread = std::thread([this] {
      const int fd = ::accept(m_listen, nullptr, nullptr);
      std::uint8_t buf[512];
      for (int n = 0;; ++n) {
        const ssize_t r = ::read(fd, buf, sizeof buf);
        if (r <= 0) break;
        auto out = m_script(std::vector<std::uint8_t>(buf, buf + r), n);
        if (!out.empty()) [[maybe_unused]]
          auto w = ::write(fd, out.data(), out.size());
        if (n == m_close_after) break;
      }
      ::close(fd);
    });
  }
  ~ScriptedPeer() {
    ::shutdown(m_listen, SHUT_RDWR);
    ::close(m_listen);
    m_thread.join();
  }
  std::uint16_t port() const { return m_port; }

private:
  Script m_script;
  int m_close_after = -1;
  int m_listen = -1;
  std::uint16_t m_port = 0;
  std::thread m_thread;
};

const std::vector<std::uint8_t> k_read = iot::modbus::encode_read_request(3, 0, 2);
const std::vector<std::uint16_t> k_words = {0x1234, 0x5678};

} // namespace

TEST_CASE("iot::transport::Client TCP skips a stale answer with another transaction id") {
  ScriptedPeer peer([](const std::vector<std::uint8_t>& req, int) {
    const std::uint16_t tid = static_cast<std::uint16_t>(req[0] << 8 | req[1]);
    auto pdu = iot::modbus::encode_read_registers_response(3, k_words);
    auto stale =
        iot::modbus::wrap_tcp(static_cast<std::uint16_t>(tid - 1), 1,
                              iot::modbus::encode_read_registers_response(3, std::vector<std::uint16_t>{9, 9}));
    auto good = iot::modbus::wrap_tcp(tid, 1, pdu);
    stale.insert(stale.end(), good.begin(), good.end());
    return stale;
  });
  auto client = make_client(parse_target("tcp://127.0.0.1:" + std::to_string(peer.port())));
  client->open();
  Reply r = client->transact(1, k_read, 500ms);
  REQUIRE(r.status == ReplyStatus::ok);
  CHECK(r.pdu == iot::modbus::encode_read_registers_response(3, k_words));
  CHECK(r.stale == 1);
}

TEST_CASE("iot::transport::Client TCP reports an answer from the wrong transaction as mismatch") {
  ScriptedPeer peer([](const std::vector<std::uint8_t>& req, int) {
    const std::uint16_t tid = static_cast<std::uint16_t>(req[0] << 8 | req[1]);
    return iot::modbus::wrap_tcp(static_cast<std::uint16_t>(tid + 7), 1,
                                 iot::modbus::encode_read_registers_response(3, k_words));
  });
  auto client = make_client(parse_target("tcp://127.0.0.1:" + std::to_string(peer.port())));
  client->open();
  Reply r = client->transact(1, k_read, 100ms);
  CHECK(r.status == ReplyStatus::mismatch);
}

TEST_CASE("iot::transport::Client RTU over TCP hunts through garbage, splits and bad CRCs") {
  ScriptedPeer peer([](const std::vector<std::uint8_t>&, int n) {
    auto good = iot::modbus::wrap_rtu(1, iot::modbus::encode_read_registers_response(3, k_words));
    switch (n) {
    case 0: { // garbage first, including a fake start "01 03"
      std::vector<std::uint8_t> out = {0x55, 0x01, 0x03, 0xAA};
      out.insert(out.end(), good.begin(), good.end());
      return out;
    }
    case 1: { // bad CRC
      good.back() ^= 0xFF;
      return good;
    }
    case 2: // answer from another unit
      return iot::modbus::wrap_rtu(2, iot::modbus::encode_read_registers_response(3, k_words));
    case 3: { // exception answer
      return iot::modbus::wrap_rtu(1, iot::modbus::encode_exception(3, 2));
    }
    default: return std::vector<std::uint8_t>{};
    }
  });
  auto client = make_client(parse_target("rtu+tcp://127.0.0.1:" + std::to_string(peer.port())));
  client->open();
  Reply r = client->transact(1, k_read, 300ms);
  REQUIRE(r.status == ReplyStatus::ok);
  CHECK(r.pdu == iot::modbus::encode_read_registers_response(3, k_words));
  r = client->transact(1, k_read, 300ms);
  CHECK(r.status == ReplyStatus::crc);
  CHECK(r.latency < 200ms); // a bad CRC ends the wait after a quiet time, not the timeout
  r = client->transact(1, k_read, 100ms);
  CHECK(r.status == ReplyStatus::mismatch);
  r = client->transact(1, k_read, 300ms);
  REQUIRE(r.status == ReplyStatus::ok);
  CHECK(r.pdu == iot::modbus::encode_exception(3, 2));
  r = client->transact(1, k_read, 50ms);
  CHECK(r.status == ReplyStatus::timeout);
}

TEST_CASE("iot::transport::Client reports a closed connection") {
  // The peer answers the first request, reads the second and closes the connection.
  ScriptedPeer peer(
      [](const std::vector<std::uint8_t>& req, int n) {
        if (n > 0) return std::vector<std::uint8_t>{};
        const std::uint16_t tid = static_cast<std::uint16_t>(req[0] << 8 | req[1]);
        return iot::modbus::wrap_tcp(tid, 1, iot::modbus::encode_read_registers_response(3, k_words));
      },
      1);
  auto client = make_client(parse_target("tcp://127.0.0.1:" + std::to_string(peer.port())));
  client->open();
  REQUIRE(client->is_open());
  Reply r = client->transact(1, k_read, 2s);
  REQUIRE(r.status == ReplyStatus::ok);
  // The answer never comes: the close ends the wait, as an io error (not a timeout).
  r = client->transact(1, k_read, 10s);
  CHECK(r.status == ReplyStatus::io);
  CHECK(r.error == "connection closed by the peer");
  CHECK_FALSE(client->is_open());
  // Closed, the client says so without writing.
  r = client->transact(1, k_read, 100ms);
  CHECK(r.status == ReplyStatus::io);
  CHECK(r.error == "not connected");
  // A connection that cannot be made at all is an io error naming where.
  try {
    make_client(parse_target("tcp://127.0.0.1:1"))->open();
    FAIL("connected to port 1");
  } catch (const iot::Error& e) {
    CHECK(e.kind() == iot::ErrorKind::io);
    CHECK_THAT(e.what(), Catch::Contains("cannot connect to 127.0.0.1:1"));
  }
}

namespace {

// A one-connection peer that answers each request after its own delay, one at a
// time in order (as a device on a bus does): `answer` gives the bytes and the delay.
class SlowPeer {
public:
  using Answer = std::function<std::pair<std::vector<std::uint8_t>, std::chrono::milliseconds>(
      const std::vector<std::uint8_t>& request, int n)>;
  explicit SlowPeer(Answer answer) : m_answer(std::move(answer)) {
    m_listen = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len);
    m_port = ntohs(a.sin_port);
    ::listen(m_listen, 1);
    m_thread = std::thread([this] {
      const int fd = ::accept(m_listen, nullptr, nullptr);
      std::vector<std::uint8_t> in;
      std::uint8_t buf[512];
      for (int n = 0;;) {
        const ssize_t r = ::read(fd, buf, sizeof buf);
        if (r <= 0) break;
        in.insert(in.end(), buf, buf + r);
        // RTU requests of FC 01-06 are 8 bytes.
        while (in.size() >= 8) {
          std::vector<std::uint8_t> req(in.begin(), in.begin() + 8);
          in.erase(in.begin(), in.begin() + 8);
          auto [out, delay] = m_answer(req, n++);
          std::this_thread::sleep_for(delay);
          if (!out.empty()) [[maybe_unused]]
            auto w = ::write(fd, out.data(), out.size());
        }
      }
      ::close(fd);
    });
  }
  ~SlowPeer() {
    ::shutdown(m_listen, SHUT_RDWR);
    ::close(m_listen);
    m_thread.join();
  }
  std::uint16_t port() const { return m_port; }

private:
  Answer m_answer;
  int m_listen = -1;
  std::uint16_t m_port = 0;
  std::thread m_thread;
};

std::vector<std::uint8_t> rtu_registers(std::uint8_t unit, std::vector<std::uint16_t> words) {
  return iot::modbus::wrap_rtu(unit, iot::modbus::encode_read_registers_response(3, words));
}

} // namespace

TEST_CASE("iot::transport::Client RTU: a late answer is not taken for the next request of the same length") {
  // The answer to hr:0 comes 600 ms after the request, long after its 100 ms
  // timeout and well inside the client's late window (the timeout plus 1 s), so a
  // loaded machine's scheduling delays cannot move it across either; hr:100 is
  // answered at once. RTU has no transaction id: telling a late answer from the
  // next one's is a matter of time, which is why the margins are wide.
  SlowPeer peer([](const std::vector<std::uint8_t>& req, int) {
    const auto addr = static_cast<std::uint16_t>(req[2] << 8 | req[3]);
    if (addr == 0) return std::make_pair(rtu_registers(1, {111}), std::chrono::milliseconds(600));
    return std::make_pair(rtu_registers(1, {222}), std::chrono::milliseconds(0));
  });
  auto client = make_client(parse_target("rtu+tcp://127.0.0.1:" + std::to_string(peer.port())));
  client->open();
  const auto slow = iot::modbus::encode_read_request(3, 0, 1);
  const auto fast = iot::modbus::encode_read_request(3, 100, 1);
  for (int round = 0; round < 3; ++round) {
    Reply r = client->transact(1, slow, 100ms);
    CHECK(r.status == ReplyStatus::timeout);
    r = client->transact(1, fast, 2000ms);
    REQUIRE(r.status == ReplyStatus::ok);
    CHECK(r.pdu == iot::modbus::encode_read_registers_response(3, std::vector<std::uint16_t>{222}));
    CHECK(r.late == 1); // the answer to hr:0, discarded
  }
}

TEST_CASE("iot::transport::Client RTU: answers that do not fit the request are discarded and counted") {
  // A read of 2 registers: first an answer with 1 register (another request's), then
  // the right one. A write of hr:5: first an echo of hr:6, then the right echo.
  ScriptedPeer peer([](const std::vector<std::uint8_t>& req, int) {
    std::vector<std::uint8_t> out;
    if (req[1] == 3) {
      out = rtu_registers(1, {9});
      auto good = rtu_registers(1, k_words);
      out.insert(out.end(), good.begin(), good.end());
    } else {
      out = iot::modbus::wrap_rtu(1, iot::modbus::encode_write_single_register(6, 42));
      auto good = iot::modbus::wrap_rtu(1, iot::modbus::encode_write_single_register(5, 42));
      out.insert(out.end(), good.begin(), good.end());
    }
    return out;
  });
  auto client = make_client(parse_target("rtu+tcp://127.0.0.1:" + std::to_string(peer.port())));
  client->open();
  Reply r = client->transact(1, k_read, 300ms);
  REQUIRE(r.status == ReplyStatus::ok);
  CHECK(r.pdu == iot::modbus::encode_read_registers_response(3, k_words));
  CHECK(r.mismatched == 1);
  r = client->transact(1, iot::modbus::encode_write_single_register(5, 42), 300ms);
  REQUIRE(r.status == ReplyStatus::ok);
  CHECK(r.pdu == iot::modbus::encode_write_single_register(5, 42));
  CHECK(r.mismatched == 1);
}

TEST_CASE("iot::transport::Client TCP counts the answer of a timed-out transaction as late") {
  ScriptedPeer peer([](const std::vector<std::uint8_t>& req, int n) {
    const std::uint16_t tid = static_cast<std::uint16_t>(req[0] << 8 | req[1]);
    if (n == 0) return std::vector<std::uint8_t>{}; // no answer in time
    auto out = iot::modbus::wrap_tcp(static_cast<std::uint16_t>(tid - 1), 1,
                                     iot::modbus::encode_read_registers_response(3, std::vector<std::uint16_t>{9, 9}));
    auto good = iot::modbus::wrap_tcp(tid, 1, iot::modbus::encode_read_registers_response(3, k_words));
    out.insert(out.end(), good.begin(), good.end());
    return out;
  });
  auto client = make_client(parse_target("tcp://127.0.0.1:" + std::to_string(peer.port())));
  client->open();
  CHECK(client->transact(1, k_read, 50ms).status == ReplyStatus::timeout);
  Reply r = client->transact(1, k_read, 300ms);
  REQUIRE(r.status == ReplyStatus::ok);
  CHECK(r.pdu == iot::modbus::encode_read_registers_response(3, k_words));
  CHECK(r.late == 1);
  CHECK(r.mismatched == 0);
}
