#include "iot/net/udp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <random>
#include <set>
#include <thread>

#include "iot/cli/options.hpp"
#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/core/time.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/record/line_reader.hpp"
#include "iot/record/output.hpp"
#include "iot/record/record.hpp"
#include "iot/record/records.hpp"

namespace iot::net {

namespace {
constexpr std::string_view k_envelope_head = record::k_udp_envelope_head;
constexpr std::string_view k_envelope_seq = record::k_udp_envelope_seq;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::string address_text(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    return fmt::format("{}:{}", host, port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
    return fmt::format("[{}]:{}", host, port);
  }
  return "?";
}

struct Resolved {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
};

Resolved resolve(const UdpUrl& u, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  if (passive) hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(u.port);
  const int rc = getaddrinfo(u.host.empty() ? nullptr : u.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr)
    throw io_error(fmt::format("{}: cannot resolve {}: {}", u.text(), u.host, gai_strerror(rc)));
  Resolved r;
  std::memcpy(&r.addr, res->ai_addr, res->ai_addrlen);
  r.len = res->ai_addrlen;
  r.family = res->ai_family;
  freeaddrinfo(res);
  return r;
}

// At most `burst` messages per 10 s; the rest are counted and summed up in the next message.
class RateLimitedLog {
public:
  template <typename... Args> void warn(fmt::format_string<Args...> f, Args&&... args) {
    const auto t = std::chrono::steady_clock::now();
    if (t - m_window > std::chrono::seconds(10)) {
      m_window = t;
      m_in_window = 0;
    }
    if (m_in_window >= k_burst) {
      ++m_suppressed;
      return;
    }
    ++m_in_window;
    std::string text = fmt::format(f, std::forward<Args>(args)...);
    if (m_suppressed > 0) text += fmt::format(" ({} similar messages suppressed before this one)", m_suppressed);
    m_suppressed = 0;
    log::warn("{}", text);
  }
  void flush() {
    if (m_suppressed > 0) log::warn("{} similar messages suppressed", m_suppressed);
    m_suppressed = 0;
  }

private:
  static constexpr int k_burst = 10;
  std::chrono::steady_clock::time_point m_window{};
  int m_in_window = 0;
  std::uint64_t m_suppressed = 0;
};

std::string random_stream() {
  std::random_device rd;
  std::mt19937_64 g((static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ static_cast<std::uint64_t>(::getpid()));
  return fmt::format("{:016x}", g());
}

} // namespace

std::string UdpUrl::text() const {
  if (host.find(':') != std::string::npos) return fmt::format("udp://[{}]:{}", host, port);
  return fmt::format("udp://{}:{}", host, port);
}

UdpUrl parse_udp_url(std::string_view url) {
  const std::string shown(url);
  if (!url.starts_with("udp://")) throw usage_error("'" + shown + "': expected udp://HOST:PORT");
  std::string_view rest = url.substr(6);
  UdpUrl u;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      throw usage_error("'" + shown + "': expected udp://[IPV6]:PORT");
    u.host = std::string(rest.substr(1, close - 1));
    port = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) throw usage_error("'" + shown + "': no port (udp://HOST:PORT)");
    u.host = std::string(rest.substr(0, colon));
    port = rest.substr(colon + 1);
  }
  if (u.host.empty()) throw usage_error("'" + shown + "': no host (use 0.0.0.0 or [::] for every address)");
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoul(std::string(port)) > 65535)
    throw usage_error("'" + shown + "': the port must be a number 0-65535");
  u.port = static_cast<std::uint16_t>(std::stoul(std::string(port)));
  return u;
}

bool valid_stream_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

void wrap_record(std::string& out, std::string_view record, std::string_view stream, std::uint64_t seq) {
  record = trim(record);
  out.append(k_envelope_head).append(stream).append(k_envelope_seq);
  fmt::format_to(std::back_inserter(out), "{}}}", seq);
  std::string_view body = record.substr(1); // after '{'
  if (trim(body.substr(0, body.size() - 1)).empty()) {
    out.push_back('}');
  } else {
    out.push_back(',');
    out.append(body);
  }
}

std::optional<Envelope> unwrap_record(std::string_view line, std::string& record) {
  line = trim(line);
  record.assign(line);
  if (!line.starts_with(k_envelope_head)) return std::nullopt;
  std::size_t pos = k_envelope_head.size();
  const auto seq_at = line.find(k_envelope_seq, pos);
  if (seq_at == std::string_view::npos) return std::nullopt;
  Envelope e;
  e.stream = std::string(line.substr(pos, seq_at - pos));
  if (!valid_stream_name(e.stream)) return std::nullopt;
  pos = seq_at + k_envelope_seq.size();
  const std::size_t digits_start = pos;
  while (pos < line.size() && line[pos] >= '0' && line[pos] <= '9') {
    if (pos - digits_start >= 19) return std::nullopt;
    e.seq = e.seq * 10 + static_cast<std::uint64_t>(line[pos] - '0');
    ++pos;
  }
  if (pos == digits_start || pos + 1 >= line.size() || line[pos] != '}') return std::nullopt;
  ++pos;
  if (line[pos] == '}') {
    record = "{}";
  } else if (line[pos] == ',') {
    record = "{";
    record.append(line.substr(pos + 1));
  } else {
    return std::nullopt;
  }
  return e;
}

SequenceTracker::Result SequenceTracker::add(const std::string& sender, const std::string& stream, std::uint64_t seq) {
  Result r;
  auto [it, inserted] = m_next.try_emplace({sender, stream});
  State& s = it->second;
  if (inserted) {
    // Numbers before the first one seen were sent before this receiver listened.
    r.new_stream = true;
    s.next = seq + 1;
    return r;
  }
  if (seq >= s.next) {
    r.lost = seq - s.next;
    // Remember a bounded number of the missing ones, so a late arrival is taken off `lost`.
    for (std::uint64_t k = s.next; k < seq && s.missing.size() < 4096; ++k)
      s.missing.push_back(k);
    s.next = seq + 1;
    m_lost += r.lost;
    return r;
  }
  r.late = true;
  ++m_late;
  for (auto& k : s.missing)
    if (k == seq) { // it was counted lost: it is only late
      k = s.missing.back();
      s.missing.pop_back();
      --m_lost;
      ++m_recovered;
      break;
    }
  return r;
}

ForwardOptions to_forward_options(const ForwardArgs& a) {
  ForwardOptions o;
  if (a.targets.empty()) throw usage_error("forward needs at least one target udp://HOST:PORT");
  for (const auto& t : a.targets) {
    o.targets.push_back(parse_udp_url(t));
    if (o.targets.back().port == 0) throw usage_error("'" + t + "': a target needs a port other than 0");
  }
  const auto size = cli::parse_size(a.max_datagram);
  if (size < 64 || size > k_max_udp_payload)
    throw usage_error(fmt::format("--max-datagram must be from 64 to {} bytes", k_max_udp_payload));
  o.max_datagram = size;
  if (!a.stream.empty() && !valid_stream_name(a.stream))
    throw usage_error("--stream: 1-64 characters of letters, digits, '.', '_' and '-'");
  o.stream = a.stream;
  o.envelope = !a.no_envelope;
  if (a.no_envelope && !a.stream.empty()) throw usage_error("--stream needs the envelope (leave out --no-envelope)");
  if (a.rate < 0) throw usage_error("--rate must not be negative");
  o.rate = a.rate;
  o.stats = !a.no_stats;
  return o;
}

ReceiveOptions to_receive_options(const ReceiveArgs& a) {
  ReceiveOptions o;
  o.listen = parse_udp_url(a.listen);
  o.count = a.count;
  if (!a.duration.empty()) {
    o.duration = cli::duration_option_as<std::chrono::milliseconds>(a.duration, "--duration");
    if (o.duration->count() <= 0) throw usage_error("--duration must be more than 0 (e.g. 30s, 5m)");
  }
  o.keep_envelope = a.keep_envelope;
  o.buffer_bytes = cli::parse_size(a.buffer);
  o.stats = !a.no_stats;
  return o;
}

ExitCode run_forward(const ForwardOptions& opt, int in_fd, int out_fd) {
  std::vector<Resolved> targets;
  for (const auto& t : opt.targets)
    targets.push_back(resolve(t, false));
  // One unconnected socket per address family: ICMP errors of one target do not stop the others.
  int fd4 = -1, fd6 = -1;
  for (const auto& t : targets) {
    int& fd = t.family == AF_INET6 ? fd6 : fd4;
    if (fd < 0) {
      fd = ::socket(t.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0) throw errno_error("cannot open a UDP socket");
    }
  }
  const std::string stream = opt.stream.empty() ? random_stream() : opt.stream;
  LineReader in(in_fd);
  RecordParser parser;
  std::string datagram;
  std::uint64_t seq = 0, records = 0, sent = 0, too_big = 0, bad_lines = 0, send_errors = 0;
  RateLimitedLog send_log;
  const auto pause = opt.rate > 0 ? std::chrono::duration<double>(1.0 / opt.rate) : std::chrono::duration<double>(0);
  auto next_send = std::chrono::steady_clock::now();
  std::string_view line;
  while (!stop_requested() && in.next(line)) {
    const std::string_view text = trim(line);
    if (text.empty()) continue;
    try {
      parser.parse(line, in.line_number());
    } catch (const Error&) {
      log::warn("line {}: not a JSON object; skipped", in.line_number());
      ++bad_lines;
      continue;
    }
    ++records;
    datagram.clear();
    if (opt.envelope)
      wrap_record(datagram, text, stream, seq);
    else
      datagram.assign(text);
    if (datagram.size() > opt.max_datagram) {
      log::warn("line {}: record of {} bytes does not fit in a datagram of at most {} bytes{}; skipped",
                in.line_number(), datagram.size(), opt.max_datagram, opt.envelope ? " (with the envelope)" : "");
      ++too_big;
      continue; // its sequence number is not used: a receiver sees no gap for a record never sent
    }
    if (opt.rate > 0) {
      std::this_thread::sleep_until(next_send);
      next_send = std::max(next_send + std::chrono::duration_cast<std::chrono::steady_clock::duration>(pause),
                           std::chrono::steady_clock::now() - std::chrono::seconds(1));
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const auto& t = targets[i];
      const int fd = t.family == AF_INET6 ? fd6 : fd4;
      ssize_t n;
      do {
        n = ::sendto(fd, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&t.addr), t.len);
      } while (n < 0 && errno == EINTR && !stop_requested());
      if (n == static_cast<ssize_t>(datagram.size())) {
        ++sent;
      } else if (n < 0 && errno == EMSGSIZE) {
        log::warn("line {}: record of {} bytes is too large for the path to {}; skipped", in.line_number(),
                  datagram.size(), opt.targets[i].text());
        ++too_big;
      } else {
        ++send_errors;
        send_log.warn("line {}: cannot send to {}: {}", in.line_number(), opt.targets[i].text(),
                      n < 0 ? std::strerror(errno) : "short send");
      }
    }
    ++seq;
  }
  send_log.flush();
  if (fd4 >= 0) ::close(fd4);
  if (fd6 >= 0) ::close(fd6);
  if (opt.stats) {
    LineSink out(out_fd);
    namespace f = fields;
    const record::Counter counters[] = {{f::records, std::uint64_t{records}},
                                        {f::sent, std::uint64_t{sent}},
                                        {f::targets, static_cast<std::uint64_t>(targets.size())},
                                        {f::too_big, std::uint64_t{too_big}},
                                        {f::bad_lines, std::uint64_t{bad_lines}},
                                        {f::send_errors, std::uint64_t{send_errors}}};
    write_record(out, record::Stats{.ts = now(),
                                    .tool = "iot-mqtt-bridge",
                                    .command = "forward",
                                    .stream = opt.envelope ? std::string_view(stream) : std::string_view(),
                                    .counters = counters});
  }
  if (too_big > 0 || bad_lines > 0) return ExitCode::bad_input;
  if (send_errors > 0) return ExitCode::io;
  return ExitCode::ok;
}

ExitCode run_receive(const ReceiveOptions& opt, int out_fd) {
  const Resolved where = resolve(opt.listen, true);
  const int fd = ::socket(where.family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw errno_error("cannot open a UDP socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (opt.buffer_bytes > 0) {
    const int size = static_cast<int>(std::min<std::size_t>(opt.buffer_bytes, 1u << 30));
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size); // capped by net.core.rmem_max
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&where.addr), where.len) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    throw errno_error("cannot listen on " + opt.listen.text());
  }
  {
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    log::info("listening on udp://{}", address_text(bound));
  }
  LineSink out(out_fd);
  SequenceTracker seqs;
  RateLimitedLog bad_log, gap_log;
  std::vector<char> buf(k_max_udp_payload + 1 + simdjson::SIMDJSON_PADDING);
  simdjson::dom::parser parser;
  std::string record;
  std::uint64_t datagrams = 0, records = 0, not_records = 0;
  std::set<std::string> senders;
  const auto started = std::chrono::steady_clock::now();
  bool done = false;
  const auto handle_line = [&](std::string_view line, const std::string& sender) {
    line = trim(line);
    if (line.empty()) return;
    if (line.size() + simdjson::SIMDJSON_PADDING > buf.size() ||
        parser.parse(line.data(), line.size(), true).get_object().error() != simdjson::SUCCESS) {
      std::string shown(line.substr(0, 60));
      for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
      bad_log.warn("datagram from {}: not a record: {}{}", sender, shown, line.size() > 60 ? "..." : "");
      ++not_records;
      return;
    }
    const auto env = unwrap_record(line, record);
    if (env) {
      const auto r = seqs.add(sender, env->stream, env->seq);
      if (r.lost > 0)
        gap_log.warn("{} stream {}: {} datagram{} lost before seq {}", sender, env->stream, r.lost,
                     r.lost == 1 ? "" : "s", env->seq);
    }
    out.write_line(opt.keep_envelope ? std::string(line) : record);
    ++records;
    if (opt.count > 0 && records >= opt.count) done = true;
  };
  try {
    while (!done && !stop_requested()) {
      int timeout_ms = -1;
      if (opt.duration) {
        const auto left = *opt.duration - std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - started);
        if (left.count() <= 0) break;
        timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30));
      }
      out.flush(); // whole lines out before blocking
      pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd(), POLLIN, 0}};
      const int n = ::poll(fds, 2, timeout_ms);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw errno_error("poll");
      }
      if (n == 0 || !(fds[0].revents & POLLIN)) continue;
      // Drain what is queued, then flush once.
      for (int batch = 0; batch < 256 && !done; ++batch) {
        sockaddr_storage from{};
        socklen_t from_len = sizeof from;
        const ssize_t got =
            ::recvfrom(fd, buf.data(), k_max_udp_payload + 1, MSG_TRUNC, reinterpret_cast<sockaddr*>(&from), &from_len);
        if (got < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
          throw errno_error("cannot receive on " + opt.listen.text());
        }
        ++datagrams;
        const std::string sender = address_text(from);
        senders.insert(sender);
        if (static_cast<std::size_t>(got) > k_max_udp_payload) {
          bad_log.warn("datagram from {}: {} bytes, more than a datagram holds; skipped", sender, got);
          ++not_records;
          continue;
        }
        // A datagram from another sender may hold several lines.
        std::string_view data(buf.data(), static_cast<std::size_t>(got));
        while (!data.empty() && !done) {
          const auto nl = data.find('\n');
          const std::string_view line = data.substr(0, nl);
          handle_line(line, sender);
          if (nl == std::string_view::npos) break;
          data.remove_prefix(nl + 1);
        }
      }
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  bad_log.flush();
  gap_log.flush();
  if (opt.stats) {
    namespace f = fields;
    const record::Counter counters[] = {{f::datagrams, std::uint64_t{datagrams}},
                                        {f::records, std::uint64_t{records}},
                                        {f::not_records, std::uint64_t{not_records}},
                                        {f::senders, static_cast<std::uint64_t>(senders.size())},
                                        {f::streams, static_cast<std::uint64_t>(seqs.streams())},
                                        {f::lost, std::uint64_t{seqs.lost()}},
                                        {f::late, std::uint64_t{seqs.late()}}};
    write_record(out,
                 record::Stats{.ts = now(), .tool = "iot-mqtt-bridge", .command = "receive", .counters = counters});
  }
  out.flush();
  return not_records > 0 ? ExitCode::bad_input : ExitCode::ok;
}

} // namespace iot::net
