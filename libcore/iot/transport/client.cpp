#include "iot/transport/client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "iot/core/error.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/answer.hpp"
#include "iot/modbus/stream_splitter.hpp"
#include "iot/transport/serial.hpp"

namespace iot::transport {

using std::chrono::microseconds;
using SteadyClock = std::chrono::steady_clock;

std::string_view reply_status_name(ReplyStatus status) {
  switch (status) {
  case ReplyStatus::ok: return "ok";
  case ReplyStatus::timeout: return "timeout";
  case ReplyStatus::crc: return "crc";
  case ReplyStatus::incomplete: return "incomplete";
  case ReplyStatus::mismatch: return "mismatch";
  case ReplyStatus::io: return "io";
  case ReplyStatus::stopped: return "stopped";
  }
  return "timeout";
}

namespace {

int remaining_ms(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left) + 1;
}

// Waits until `fd` is readable, the deadline passes or the interrupt fd fires.
// Returns 1 readable, 0 deadline, -1 interrupted.
int wait_readable(int fd, int interrupt_fd, SteadyClock::time_point deadline) {
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {interrupt_fd, POLLIN, 0}};
    const int n = ::poll(fds, interrupt_fd >= 0 ? 2 : 1, remaining_ms(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw errno_error("poll");
    }
    if (n == 0) return 0;
    if (interrupt_fd >= 0 && (fds[1].revents & POLLIN)) return -1;
    if (fds[0].revents) return 1;
  }
}

// Writes everything, waiting briefly while the descriptor is full. send() with MSG_NOSIGNAL
// keeps a peer that went away from raising SIGPIPE; a descriptor that is no socket gets write().
void write_all(int fd, const std::uint8_t* data, std::size_t size) {
  bool socket = true;
  while (size > 0) {
    const ssize_t n = socket ? ::send(fd, data, size, MSG_NOSIGNAL) : ::write(fd, data, size);
    if (n < 0) {
      if (socket && errno == ENOTSOCK) {
        socket = false;
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 100);
        continue;
      }
      throw errno_error(socket ? "send" : "write");
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

int connect_tcp(const std::string& host, std::uint16_t port, int type, microseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = type;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0)
    throw io_error(fmt::format("{}:{}: {}", host, port, gai_strerror(rc)));
  std::string last = "no address";
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int n = ::poll(&p, 1, static_cast<int>(timeout.count() / 1000));
      int err = 0;
      socklen_t len = sizeof err;
      if (n == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) break;
      last = n == 0 ? "connection timed out" : std::strerror(err != 0 ? err : errno);
    } else {
      last = std::strerror(errno);
    }
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0) throw io_error(fmt::format("cannot connect to {}:{}: {}", host, port, last));
  if (type == SOCK_STREAM) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

enum class Framing { mbap, rtu, ascii };

Framing framing_of(Scheme scheme) {
  switch (scheme) {
  case Scheme::tcp:
  case Scheme::udp: return Framing::mbap;
  case Scheme::rtu_over_tcp:
  case Scheme::rtu: return Framing::rtu;
  case Scheme::ascii: return Framing::ascii;
  }
  return Framing::mbap;
}

modbus::Framing modbus_framing(Framing framing) {
  switch (framing) {
  case Framing::mbap: return modbus::Framing::tcp;
  case Framing::ascii: return modbus::Framing::ascii;
  case Framing::rtu: return modbus::Framing::rtu;
  }
  return modbus::Framing::tcp;
}

class FdClient final : public Client {
public:
  FdClient(Target target, ClientOptions options)
      : m_target(std::move(target)), m_options(options), m_framing(framing_of(m_target.scheme)),
        m_split(modbus::client_splitter_options(modbus_framing(m_framing))) {
    m_datagram = m_target.scheme == Scheme::udp;
  }
  ~FdClient() override { close(); }

  void open() override {
    close();
    if (m_target.is_serial()) {
      if (m_target.pty || m_target.device.empty()) throw usage_error("a poller needs a device path, not a pty");
      m_serial = SerialLine::open(m_target.device, m_target.serial);
      m_fd = m_serial.fd();
    } else {
      m_fd =
          connect_tcp(m_target.host, m_target.port, m_datagram ? SOCK_DGRAM : SOCK_STREAM, m_options.connect_timeout);
    }
    m_split.reset();
  }
  void close() override {
    if (m_serial.is_open())
      m_serial.close();
    else if (m_fd >= 0)
      ::close(m_fd);
    m_fd = -1;
  }
  bool is_open() const override { return m_fd >= 0; }

  std::string describe() const override { return to_string(m_target); }

  microseconds wire_time(std::size_t req, std::size_t rep) const override {
    if (!m_target.is_serial()) return microseconds(0);
    // ADU bytes: RTU adds address and CRC (3), ASCII sends every byte as two hex
    // characters plus ':', LRC and CR LF; then the t3.5 silence after each frame.
    const std::size_t chars = m_framing == Framing::ascii ? (req + 2) * 2 + 3 + (rep + 2) * 2 + 3 : req + 3 + rep + 3;
    return transmit_time(m_target.serial, chars) + 2 * rtu_timing(m_target.serial).t3_5;
  }

  void send_only(std::uint8_t unit, std::span<const std::uint8_t> pdu) override {
    build_adu(unit, pdu);
    send_adu();
    m_unclean = true; // a peer that answers anyway leaves its answer behind
  }

  Reply transact(std::uint8_t unit, std::span<const std::uint8_t> pdu, microseconds timeout) override {
    Reply reply;
    if (m_fd < 0) {
      reply.status = ReplyStatus::io;
      reply.error = "not connected";
      return reply;
    }
    m_expect_unit = unit;
    set_request({});
    m_crc_failed = false;
    m_mismatch.clear();
    // Whatever is waiting now answers an earlier request: read and discard it (counting
    // the late answers in it). On TCP only a transaction that did not end with its
    // answer can leave one behind (the transaction id tells them apart anyway), so a
    // clean connection costs no extra system call; serial framing has no id, so the
    // line is drained before every request, and a request that a late answer could be
    // taken for first waits for that answer (or for the line to stay quiet).
    if (m_framing != Framing::mbap || m_unclean) {
      const auto until = m_framing == Framing::mbap ? SteadyClock::now() : ambiguous_until(unit, pdu);
      if (!drain(reply, unit, pdu, until)) return reply;
    }
    m_split.reset();
    m_unclean = true;
    build_adu(unit, pdu);
    const auto t0 = SteadyClock::now();
    try {
      send_adu();
    } catch (const Error& e) {
      close();
      reply.status = ReplyStatus::io;
      reply.error = e.what();
      return reply;
    }
    const auto deadline = t0 + timeout;
    set_request(pdu);
    for (;;) {
      if (try_extract(reply)) {
        m_unclean = m_split.pending_bytes() != 0;
        reply.latency = std::chrono::duration_cast<microseconds>(SteadyClock::now() - t0);
        set_request({});
        return reply;
      }
      // With a bad CRC seen and nothing better in the buffer, a short quiet time ends the wait.
      auto wait_until = deadline;
      if (m_crc_failed) wait_until = std::min(deadline, SteadyClock::now() + quiet_time());
      int r = 0;
      try {
        r = wait_readable(m_fd, m_options.interrupt_fd, wait_until);
      } catch (const Error& e) {
        close();
        reply.status = ReplyStatus::io;
        reply.error = e.what();
        return reply;
      }
      if (r == -1) {
        reply.status = ReplyStatus::stopped;
        reply.error = "stopped";
        return reply;
      }
      if (r == 1) {
        if (!read_more(reply)) {
          close();
          reply.status = ReplyStatus::io;
          reply.latency = std::chrono::duration_cast<microseconds>(SteadyClock::now() - t0);
          return reply;
        }
        continue;
      }
      // Deadline (or quiet time after a bad CRC).
      reply.latency = std::chrono::duration_cast<microseconds>(SteadyClock::now() - t0);
      if (m_crc_failed) {
        reply.status = ReplyStatus::crc;
        reply.error = m_framing == Framing::ascii ? "LRC mismatch" : "CRC mismatch";
      } else if (!m_mismatch.empty()) {
        reply.status = ReplyStatus::mismatch;
        reply.error = m_mismatch;
      } else if (m_split.pending_bytes() != 0) {
        reply.status = ReplyStatus::incomplete;
        reply.error =
            fmt::format("incomplete answer ({} bytes) after {} ms", m_split.pending_bytes(), timeout.count() / 1000);
      } else {
        reply.status = ReplyStatus::timeout;
        reply.error = fmt::format("no answer within {} ms", timeout.count() / 1000);
      }
      // Its answer may still come: recognise it as late for a while (k_late_window).
      remember_unanswered(unit, pdu, deadline + std::max<microseconds>(timeout, k_late_window));
      set_request({});
      return reply;
    }
  }

private:
  // How long after its deadline the answer of an unanswered request is still looked
  // for (at least one timeout): a device or gateway that is slow now and then, or
  // busy with the requests before, answers late by more than a timeout; a request
  // that its answer could be taken for waits at most this long (see drain()).
  static constexpr microseconds k_late_window = std::chrono::seconds(1);

  microseconds quiet_time() const {
    if (m_target.is_serial()) {
      const auto t35 = m_target.serial.baud > 19200 ? 1750 : static_cast<long>(38500000.0 / m_target.serial.baud);
      return microseconds(std::max<long>(20000, 4 * t35));
    }
    return microseconds(20000);
  }

  void build_adu(std::uint8_t unit, std::span<const std::uint8_t> pdu) {
    m_out.clear();
    switch (m_framing) {
    case Framing::mbap: modbus::append_tcp(m_out, ++m_tid, unit, pdu); break;
    case Framing::rtu: modbus::append_rtu(m_out, unit, pdu); break;
    case Framing::ascii: modbus::append_ascii(m_out, unit, pdu); break;
    }
  }

  void send_adu() {
    // SerialLine::transmit raises and releases RTS around the frame when asked (RS-485).
    if (m_serial.is_open())
      m_serial.transmit(m_out);
    else
      write_all(m_fd, m_out.data(), m_out.size());
    if (m_options.tap != nullptr) m_options.tap->sent(m_out);
  }

  // A request that ended without its answer; the answer may still come, late.
  struct Unanswered {
    bool active = false;
    std::uint8_t unit = 0;
    std::uint16_t tid = 0;
    std::uint8_t size = 0;
    std::array<std::uint8_t, 253> pdu{}; // [AP] §4.1: a PDU is at most 253 bytes
    SteadyClock::time_point until{};     // its answer is looked for until then
    std::span<const std::uint8_t> request() const { return {pdu.data(), size}; }
  };

  void remember_unanswered(std::uint8_t unit, std::span<const std::uint8_t> pdu, SteadyClock::time_point until) {
    if (pdu.empty() || pdu.size() > 253) return;
    Unanswered* slot = &m_unanswered[0];
    for (auto& u : m_unanswered) {
      if (!u.active) {
        slot = &u;
        break;
      }
      if (u.until < slot->until) slot = &u; // all in use: the one that expires first
    }
    slot->active = true;
    slot->unit = unit;
    slot->tid = m_tid;
    slot->size = static_cast<std::uint8_t>(pdu.size());
    std::copy(pdu.begin(), pdu.end(), slot->pdu.begin());
    slot->until = until;
    m_has_unanswered = true;
  }

  // The request as the answer to it must name it (the transaction id only on TCP).
  modbus::AduParts request_parts(std::uint8_t unit, std::uint16_t tid, std::span<const std::uint8_t> pdu) const {
    return {unit, m_framing == Framing::mbap ? std::optional<std::uint16_t>(tid) : std::nullopt, pdu};
  }

  // The unanswered request that an answer belongs to, if any.
  Unanswered* unanswered_for(const modbus::AduParts& answer) {
    if (!m_has_unanswered) return nullptr;
    const auto now = SteadyClock::now();
    for (auto& u : m_unanswered) {
      if (!u.active || now > u.until) continue;
      if (modbus::match_exchange(request_parts(u.unit, u.tid, u.request()), answer) != modbus::AnswerMatch::mismatch)
        return &u;
    }
    return nullptr;
  }

  // Serial framing: until when a request must wait so that the late answer of an
  // earlier request cannot be taken for its own. That is the case for an unanswered
  // request to the same unit with the same function but another PDU (its answer
  // could have the same length, and exception answers look alike); the answer to an
  // identical request says the same thing, and another unit's is told by its address.
  SteadyClock::time_point ambiguous_until(std::uint8_t unit, std::span<const std::uint8_t> pdu) {
    auto until = SteadyClock::now();
    if (!m_has_unanswered || pdu.empty()) return until;
    bool any = false;
    for (auto& u : m_unanswered) {
      if (!u.active) continue;
      if (u.until < until) {
        u.active = false; // expired
        continue;
      }
      any = true;
      const auto req = u.request();
      if (u.unit == unit && req[0] == pdu[0] && !std::equal(req.begin(), req.end(), pdu.begin(), pdu.end()))
        until = std::max(until, u.until);
    }
    m_has_unanswered = any;
    return until;
  }

  // Reads and discards what is waiting, counting the late answers in it, and goes on
  // reading until `until` while a request like this one (see ambiguous_until) still
  // has its answer outstanding. False when stopped (reply says so).
  bool drain(Reply& reply, std::uint8_t unit, std::span<const std::uint8_t> pdu, SteadyClock::time_point until) {
    m_split.reset();
    for (bool closed = false; !closed;) {
      std::uint8_t tmp[512];
      for (;;) {
        const ssize_t r = m_datagram ? ::recv(m_fd, tmp, sizeof tmp, MSG_DONTWAIT) : ::read(m_fd, tmp, sizeof tmp);
        // 0 from a socket: the peer closed (the request will find out); from a tty in
        // raw mode (VMIN 0): nothing there.
        closed = r == 0 && !m_datagram && !m_serial.is_open();
        if (r <= 0) break;
        m_split.feed(std::span<const std::uint8_t>(tmp, static_cast<std::size_t>(r)));
      }
      if (m_split.pending_bytes() != 0) {
        try_extract(reply); // with no current request every whole answer is late or foreign
        if (m_framing == Framing::mbap) break;
        until = std::min(until, ambiguous_until(unit, pdu));
      }
      if (closed || SteadyClock::now() >= until) break;
      int w = 0;
      try {
        w = wait_readable(m_fd, m_options.interrupt_fd, until);
      } catch (const Error&) {
        break; // the request will report the error
      }
      if (w == -1) {
        reply.status = ReplyStatus::stopped;
        reply.error = "stopped";
        return false;
      }
      if (w == 0) break;
    }
    reply.stale += m_split.reset();
    return true;
  }

  enum class Belongs { current, late, foreign };
  // Whose answer a complete, well-framed answer is; counts the discarded ones.
  Belongs classify(Reply& reply, const modbus::AduParts& answer) {
    const modbus::AduParts current = request_parts(m_expect_unit, m_tid, m_request);
    if (!m_request.empty() && modbus::match_exchange(current, answer) != modbus::AnswerMatch::mismatch)
      return Belongs::current;
    if (Unanswered* u = unanswered_for(answer)) {
      u->active = false;
      reply.late++;
      return Belongs::late;
    }
    reply.mismatched++;
    if (m_mismatch.empty() && !m_request.empty()) m_mismatch = modbus::mismatch_reason(current, answer);
    return Belongs::foreign;
  }

  // Reads what is available; false when the peer closed the connection.
  bool read_more(Reply& reply) {
    std::uint8_t tmp[1024];
    const ssize_t r = m_datagram ? ::recv(m_fd, tmp, sizeof tmp, MSG_DONTWAIT) : ::read(m_fd, tmp, sizeof tmp);
    if (r == 0 && !m_datagram) {
      reply.error = "connection closed by the peer";
      return false;
    }
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) return true;
      if (m_datagram && errno == ECONNREFUSED) return true; // ICMP port unreachable: treat as silence
      reply.error = std::strerror(errno);
      return false;
    }
    if (m_datagram) m_split.reset(); // one datagram, one frame
    m_split.feed(std::span<const std::uint8_t>(tmp, static_cast<std::size_t>(r)));
    if (m_options.tap != nullptr)
      m_options.tap->received(std::span<const std::uint8_t>(tmp, static_cast<std::size_t>(r)));
    return true;
  }

  // The request being answered (empty: none). The splitter learns whose answer is awaited.
  void set_request(std::span<const std::uint8_t> pdu) {
    m_request = pdu;
    if (pdu.empty())
      m_split.expect_nothing();
    else
      m_split.expect(m_expect_unit, pdu[0]);
  }

  bool fc_matches(std::uint8_t fc) const {
    return !m_request.empty() && (fc == m_request[0] || fc == (m_request[0] | 0x80));
  }

  // Takes the frames the splitter has out of the buffer until one answers the current request;
  // late and foreign ones are counted and discarded, and so are bad bytes (garbage before an
  // answer, answers with a bad CRC or LRC). The rest stays buffered.
  bool try_extract(Reply& reply) {
    while (auto f = m_split.next()) {
      if (!f->ok()) {
        // The awaited answer came with a bad CRC/LRC: a short quiet time ends the wait.
        if (f->kind == modbus::StreamFrame::Kind::bad_check && f->adu.unit == m_expect_unit && !f->adu.pdu.empty() &&
            fc_matches(f->adu.pdu[0]))
          m_crc_failed = true;
        const bool run = f->kind == modbus::StreamFrame::Kind::garbage ||
                         f->kind == modbus::StreamFrame::Kind::truncated ||
                         f->kind == modbus::StreamFrame::Kind::too_long;
        reply.stale += run ? f->bytes.size() : 1;
        continue;
      }
      if (!f->adu.unit || f->adu.pdu.empty()) {
        reply.stale++;
        continue;
      }
      const std::span<const std::uint8_t> pdu = f->adu.pdu;
      const modbus::AduParts answer{*f->adu.unit, m_framing == Framing::mbap ? f->adu.tid : std::nullopt, pdu};
      if (classify(reply, answer) == Belongs::current) {
        reply.pdu.assign(pdu.begin(), pdu.end());
        reply.status = ReplyStatus::ok;
        return true;
      }
      if (m_framing == Framing::mbap) reply.stale++;
    }
    if (m_split.awaited_bad_check()) m_crc_failed = true;
    return false;
  }

  Target m_target;
  ClientOptions m_options;
  Framing m_framing = Framing::mbap;
  modbus::StreamSplitter m_split;
  bool m_datagram = false;
  int m_fd = -1;
  SerialLine m_serial;
  std::uint16_t m_tid = 0;
  std::uint8_t m_expect_unit = 0;
  std::span<const std::uint8_t> m_request; // the PDU being answered, during transact()
  bool m_crc_failed = false;
  bool m_unclean = true; // the last transaction may have left bytes behind
  std::string m_mismatch;
  std::array<Unanswered, 4> m_unanswered{};
  bool m_has_unanswered = false; // some entry of m_unanswered may be active
  std::vector<std::uint8_t> m_out;
};

} // namespace

std::unique_ptr<Client> make_client(const Target& target, ClientOptions options) {
  return std::make_unique<FdClient>(target, options);
}

} // namespace iot::transport
