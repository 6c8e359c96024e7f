#include "iot/sim/sim.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <queue>
#include <unordered_map>

#include "iot/cli/log.hpp"
#include "iot/core/error.hpp"
#include "iot/core/signals.hpp"
#include "iot/core/time.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/modbus/spec.hpp"
#include "iot/modbus/stream_splitter.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/sim/command.hpp"
#include "iot/sim/device.hpp"
#include "iot/sim/fault.hpp"
#include "iot/sim/meter.hpp"
#include "iot/transport/serial.hpp"
#include "iot/values/address.hpp"
#include "iot/values/value_json.hpp"

namespace iot::sim {

namespace {

using modbus::Bytes;
using modbus::Framing;

std::int64_t mono_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  for (auto b : bytes) {
    out.push_back(k_digits[b >> 4]);
    out.push_back(k_digits[b & 15]);
  }
}

enum class EndpointKind { tcp_listen, udp, serial };

struct SimDevice;

struct Endpoint {
  const config::Port* port = nullptr;
  EndpointKind kind = EndpointKind::tcp_listen;
  Framing framing = Framing::tcp; // of the frames: tcp (also UDP), rtu_over_tcp, rtu, ascii
  int fd = -1;               // network ports own it; serial lines belong to `pty` or `serial`
  transport::Pty pty;        // rtu:pty, ascii:pty, --pty
  transport::SerialLine serial;  // a real serial device
  std::string url, path;
  std::array<SimDevice*, 256> by_unit{};
  std::vector<SimDevice*> devices;
  std::int64_t char_us = 0; // serial: one character on the wire
  std::int64_t t35_us = 0;  // serial: inter-frame silence
  bool network() const { return kind != EndpointKind::serial; }
};

struct SimDevice {
  std::unique_ptr<Device> dev;
  FaultSet faults;
  Endpoint* ep = nullptr;
};

struct Chunk {
  std::int64_t due = 0;
  Bytes data;
  std::size_t pos = 0;
  std::int64_t us_per_byte = 0;
  bool close_after = false;
  sockaddr_storage peer{};
  socklen_t peer_len = 0;
};

struct Conn {
  std::uint64_t id = 0;
  int fd = -1;
  Endpoint* ep = nullptr;
  bool datagram = false;
  std::optional<modbus::StreamSplitter> split; // the requests in what has come
  std::int64_t first_rx = 0; // when the first byte of the pending input arrived
  std::int64_t last_rx = 0;
  std::deque<Chunk> out;
  bool epollout = false;
  std::int64_t line_free = 0; // serial: the line is silent from here on
};

constexpr std::uint64_t k_tag_stop = 1, k_tag_stdin = 2, k_tag_timer = 3, k_tag_listener = 0x100;
constexpr std::uint64_t k_first_conn_id = 1ull << 32;
constexpr std::uint64_t k_timer_duration = 0; // timer id that ends the run
constexpr std::uint64_t k_timer_fleet = 1;    // timer id: are all meters of the mqtt ports connected yet?

struct Fleet {
  const config::Port* port = nullptr;
  std::unique_ptr<acrel::MeterFleet> fleet;
  std::vector<MeterHandle> meters; // in the fleet's order
  bool all_up = false;
};

struct Stats {
  std::uint64_t requests = 0, answers = 0, exceptions = 0, faults = 0, writes = 0, unknown_unit = 0, bad_frames = 0,
                connections = 0, commands = 0, command_errors = 0;
};

class Server {
public:
  Server(const config::Site& site, const Options& opt, LineSink& out) : m_site(site), m_opt(opt), m_out(out) {}
  ~Server();
  ExitCode run();

private:
  void build_devices();
  void start_fleets();
  void check_fleets();
  void open_endpoints();
  void open_tcp(Endpoint& ep, const transport::Target& t, bool datagram);
  void open_serial_ep(Endpoint& ep, const transport::Target& t);
  void write_ready();
  void write_site_out();
  void write_stats();

  Conn& add_conn(int fd, Endpoint* ep, bool datagram);
  void close_conn(std::uint64_t id);
  void on_accept(Endpoint& ep);
  void on_readable(Conn& c);
  void on_udp(Conn& c);
  bool process_input(Conn& c); // false when the connection was closed
  void on_timer(std::uint64_t id);
  void flush(Conn& c);
  void set_epollout(Conn& c, bool on);
  void add_timer(std::int64_t due, std::uint64_t id);
  void arm_timer();

  // Serves one request frame. Returns false when the connection was closed.
  bool serve(Conn& c, std::span<const std::uint8_t> frame, std::uint8_t unit, std::span<const std::uint8_t> pdu,
             std::uint16_t tid, const sockaddr_storage* peer, socklen_t peer_len);
  void log_request(const Endpoint& ep, std::span<const std::uint8_t> frame, const SimDevice* d, const FaultAction* act,
                   std::span<const std::uint8_t> reply);
  void log_write(const SimDevice& d, const WriteEvent& e);

  void on_stdin();
  void run_command(std::string_view line);
  std::vector<SimDevice*> targets(const Command& cmd);
  // The meters a command names (by device or mqtt port); empty when it names a Modbus device.
  std::vector<std::pair<Fleet*, std::size_t>> meter_targets(const Command& cmd);
  // Runs `cmd` on meters; false when it names none. Sets got/affected like run_command.
  bool run_meter_command(const Command& cmd, std::optional<double>& got, std::size_t& affected);

  double sim_time() const { return static_cast<double>(mono_us() - m_start_us) / 1e6; }

  const config::Site& m_site;
  Options m_opt;
  LineSink& m_out;
  std::int64_t m_start_us = mono_us();
  int m_ep = -1;
  int m_timer_fd = -1;
  std::vector<std::unique_ptr<Endpoint>> m_endpoints;
  std::vector<std::unique_ptr<SimDevice>> m_devices;
  std::unordered_map<std::string, SimDevice*> m_by_name;
  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> m_conns;
  std::uint64_t m_next_id = k_first_conn_id;
  using Timer = std::pair<std::int64_t, std::uint64_t>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> m_timers;
  std::int64_t m_armed = -1;
  Stats m_stats;
  std::vector<Fleet> m_fleets; // one per mqtt:// port
  Bytes m_pdu_out, m_adu_out;
  std::uint64_t m_noise_seed = 0xC0FFEE;
  std::string m_stdin_buf;
  bool m_stdin_open = false;
  modbus::DecodedFrame m_frame;
};

Server::~Server() {
  for (auto& [id, c] : m_conns)
    if (c->fd >= 0 && !(c->ep && c->ep->kind != EndpointKind::tcp_listen)) ::close(c->fd);
  for (auto& ep : m_endpoints) {
    if (ep->fd >= 0 && ep->network()) ::close(ep->fd);
  }
  if (m_timer_fd >= 0) ::close(m_timer_fd);
  if (m_ep >= 0) ::close(m_ep);
}

void Server::build_devices() {
  for (const auto& port : m_site.ports) {
    if (port.mqtt) continue; // Acrel meters: start_fleets()
    auto ep = std::make_unique<Endpoint>();
    ep->port = &port;
    for (const auto& d : port.devices) {
      if (!d.enabled) continue;
      auto sd = std::make_unique<SimDevice>();
      sd->dev = std::make_unique<Device>(d, port);
      sd->ep = ep.get();
      for (const auto& f : d.faults)
        sd->faults.add(f, 0);
      if (ep->by_unit[d.unit] != nullptr)
        throw config_error(d.pos.str() + ": unit " + std::to_string(d.unit) + " is used twice on port " + port.name);
      ep->by_unit[d.unit] = sd.get();
      ep->devices.push_back(sd.get());
      m_by_name.emplace(d.name, sd.get());
      m_devices.push_back(std::move(sd));
    }
    m_endpoints.push_back(std::move(ep));
  }
  auto find = [this](std::string_view name) -> Device* {
    auto it = m_by_name.find(std::string(name));
    return it == m_by_name.end() ? nullptr : it->second->dev.get();
  };
  for (auto& d : m_devices)
    d->dev->resolve_links(find);
}

void Server::open_tcp(Endpoint& ep, const transport::Target& t, bool datagram) {
  std::string host = !m_opt.bind.empty() ? m_opt.bind : (t.host.empty() ? "127.0.0.1" : t.host);
  const std::uint16_t port = m_opt.free_ports ? 0 : t.port;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = datagram ? SOCK_DGRAM : SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0)
    throw io_error(ep.port->name + ": cannot resolve " + host + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  const int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw errno_error(ep.port->name + ": socket");
  ep.fd = fd;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0)
    throw errno_error(ep.port->name + ": cannot listen on " + host + ":" + service);
  if (!datagram && ::listen(fd, SOMAXCONN) != 0) throw errno_error(ep.port->name + ": listen");
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  char buf[INET6_ADDRSTRLEN] = {};
  std::uint16_t real_port = 0;
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    real_port = ntohs(a->sin6_port);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    real_port = ntohs(a->sin_port);
  }
  const std::string h = ss.ss_family == AF_INET6 ? "[" + std::string(buf) + "]" : std::string(buf);
  ep.url = std::string(transport::scheme_name(t.scheme)) + "://" + h + ":" + std::to_string(real_port);
}

void Server::open_serial_ep(Endpoint& ep, const transport::Target& t) {
  const auto& s = t.serial;
  if (t.pty || m_opt.pty) {
    ep.pty = transport::open_pty_pair(s);
    ep.fd = ep.pty.master_fd();
    ep.path = ep.pty.slave_path();
  } else {
    ep.serial = transport::SerialLine::open(t.device, s);
    ep.fd = ep.serial.fd();
    ep.path = t.device;
  }
  ep.url = std::string(transport::scheme_name(t.scheme)) + ":" + ep.path;
  const unsigned bits = transport::bits_per_char(s);
  ep.char_us = static_cast<std::int64_t>((1000000ull * bits + s.baud - 1) / s.baud);
  // [SL] §2.5.1.1: t3.5 is 3.5 character times, fixed at 1750 us above 19200 baud.
  ep.t35_us = s.baud > modbus::k_fixed_timing_above_baud ? modbus::k_fixed_t35_us
                                                         : static_cast<std::int64_t>(modbus::t35_us(s.baud, bits));
}

void Server::open_endpoints() {
  for (auto& ep : m_endpoints) {
    const auto& t = ep->port->target;
    switch (t.scheme) {
    case transport::Scheme::tcp:
      ep->kind = EndpointKind::tcp_listen;
      ep->framing = Framing::tcp;
      open_tcp(*ep, t, false);
      break;
    case transport::Scheme::rtu_over_tcp:
      ep->kind = EndpointKind::tcp_listen;
      ep->framing = Framing::rtu_over_tcp;
      open_tcp(*ep, t, false);
      break;
    case transport::Scheme::udp:
      ep->kind = EndpointKind::udp;
      ep->framing = Framing::tcp;
      open_tcp(*ep, t, true);
      break;
    case transport::Scheme::rtu:
    case transport::Scheme::ascii:
      ep->kind = EndpointKind::serial;
      ep->framing = t.scheme == transport::Scheme::rtu ? Framing::rtu : Framing::ascii;
      open_serial_ep(*ep, t);
      break;
    }
  }
  for (std::size_t i = 0; i < m_endpoints.size(); ++i) {
    auto& ep = *m_endpoints[i];
    if (ep.kind == EndpointKind::tcp_listen) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = k_tag_listener + i;
      if (epoll_ctl(m_ep, EPOLL_CTL_ADD, ep.fd, &ev) != 0) throw errno_error("epoll_ctl");
    } else {
      add_conn(ep.fd, &ep, ep.kind == EndpointKind::udp);
    }
  }
}

modbus::StreamSplitterOptions request_splitter_options(const Endpoint& ep) {
  return modbus::server_splitter_options(
      ep.framing, ep.kind == EndpointKind::serial ? std::optional<std::int64_t>(ep.t35_us) : std::nullopt);
}

Conn& Server::add_conn(int fd, Endpoint* ep, bool datagram) {
  auto c = std::make_unique<Conn>();
  c->id = m_next_id++;
  c->fd = fd;
  c->ep = ep;
  c->datagram = datagram;
  c->split.emplace(request_splitter_options(*ep));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = c->id;
  if (epoll_ctl(m_ep, EPOLL_CTL_ADD, fd, &ev) != 0) throw errno_error("epoll_ctl");
  auto& ref = *c;
  m_conns.emplace(c->id, std::move(c));
  return ref;
}

void Server::close_conn(std::uint64_t id) {
  auto it = m_conns.find(id);
  if (it == m_conns.end()) return;
  epoll_ctl(m_ep, EPOLL_CTL_DEL, it->second->fd, nullptr);
  ::close(it->second->fd);
  m_conns.erase(it);
}

// The site file as served: every Modbus port's url where the simulator really is (the real TCP
// port of a :0 or --free-ports endpoint, the pty path of rtu:pty), written whole or not at all.
void Server::write_site_out() {
  std::ifstream in(m_site.file, std::ios::binary);
  if (!in) throw io_error(fmt::format("--site-out: cannot read {}", m_site.file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  config::SiteRewrite rw;
  rw.catalog = m_site.catalog;
  for (const auto& ep : m_endpoints) {
    const std::string& orig = ep->port->url;
    const auto q = orig.find('?');
    const std::string query = q == std::string::npos ? std::string() : orig.substr(q); // line settings
    rw.port_urls[ep->port->name] = ep->url + query;
  }
  const std::string out = config::rewrite_site(text.str(), m_site.file, rw);
  const std::filesystem::path dest(m_opt.site_out);
  const std::filesystem::path tmp = dest.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << out;
    f.close();
    if (!f) throw io_error(fmt::format("--site-out: cannot write {}", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dest, ec);
  if (ec) throw io_error(fmt::format("--site-out: cannot write {}: {}", dest.string(), ec.message()));
  log::info("served site written to {}", dest.string());
}

void Server::write_ready() {
  RecordLine r(m_out);
  r.w.begin_record(now(), "ready");
  r.w.field("tool", "iot-sim");
  r.w.key("endpoints");
  r.w.begin_array();
  std::size_t devices = 0;
  for (const auto& ep : m_endpoints) {
    r.w.begin_object();
    r.w.field("port", ep->port->name);
    r.w.field("url", ep->url);
    if (!ep->path.empty()) r.w.field("path", ep->path);
    r.w.field("devices", static_cast<unsigned long>(ep->devices.size()));
    devices += ep->devices.size();
    r.w.end_object();
  }
  for (const auto& f : m_fleets) {
    r.w.begin_object();
    r.w.field("port", f.port->name);
    r.w.field("url", f.port->url);
    r.w.field("devices", static_cast<unsigned long>(f.fleet->size()));
    devices += f.fleet->size();
    r.w.end_object();
  }
  r.w.end_array();
  r.w.field("devices", static_cast<unsigned long>(devices));
  r.w.end_object();
}

void Server::write_stats() {
  RecordLine r(m_out);
  r.w.begin_record(now(), "stats");
  r.w.field("tool", "iot-sim");
  r.w.field("requests", static_cast<unsigned long long>(m_stats.requests));
  r.w.field("answers", static_cast<unsigned long long>(m_stats.answers));
  r.w.field("exceptions", static_cast<unsigned long long>(m_stats.exceptions));
  r.w.field("faults", static_cast<unsigned long long>(m_stats.faults));
  r.w.field("writes", static_cast<unsigned long long>(m_stats.writes));
  r.w.field("unknown_unit", static_cast<unsigned long long>(m_stats.unknown_unit));
  r.w.field("bad_frames", static_cast<unsigned long long>(m_stats.bad_frames));
  r.w.field("connections", static_cast<unsigned long long>(m_stats.connections));
  r.w.field("commands", static_cast<unsigned long long>(m_stats.commands));
  if (!m_fleets.empty()) {
    acrel::FleetStats t;
    std::uint64_t meters = 0;
    for (const auto& f : m_fleets) {
      meters += f.fleet->size();
      t += f.fleet->stats();
    }
    r.w.field("meters", static_cast<unsigned long long>(meters));
    r.w.field("meters_connected", static_cast<unsigned long long>(t.connected));
    r.w.field("logins", static_cast<unsigned long long>(t.logins));
    r.w.field("paras", static_cast<unsigned long long>(t.paras));
    r.w.field("hearts", static_cast<unsigned long long>(t.hearts));
    r.w.field("datas", static_cast<unsigned long long>(t.datas));
    r.w.field("downlinks", static_cast<unsigned long long>(t.downlinks));
    r.w.field("replies", static_cast<unsigned long long>(t.replies));
    r.w.field("refused", static_cast<unsigned long long>(t.refused));
    r.w.field("times", static_cast<unsigned long long>(t.times));
    r.w.field("alarms", static_cast<unsigned long long>(t.alarms));
  }
  r.w.end_object();
}

void Server::add_timer(std::int64_t due, std::uint64_t id) {
  m_timers.emplace(due, id);
  if (m_armed < 0 || due < m_armed) arm_timer();
}

void Server::arm_timer() {
  itimerspec its{};
  if (m_timers.empty()) {
    m_armed = -1;
  } else {
    m_armed = m_timers.top().first;
    const std::int64_t due = std::max<std::int64_t>(m_armed, 1);
    its.it_value.tv_sec = due / 1000000;
    its.it_value.tv_nsec = (due % 1000000) * 1000;
  }
  timerfd_settime(m_timer_fd, TFD_TIMER_ABSTIME, &its, nullptr);
}

void Server::set_epollout(Conn& c, bool on) {
  if (c.epollout == on) return;
  c.epollout = on;
  epoll_event ev{};
  ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
  ev.data.u64 = c.id;
  epoll_ctl(m_ep, EPOLL_CTL_MOD, c.fd, &ev);
}

void Server::flush(Conn& c) {
  const std::int64_t now_us = mono_us();
  while (!c.out.empty()) {
    Chunk& ch = c.out.front();
    if (now_us < ch.due) {
      add_timer(ch.due, c.id);
      break;
    }
    std::size_t limit = ch.data.size();
    if (ch.us_per_byte > 0) {
      // Byte i leaves when its last bit has: due + (i + 1) * time per byte.
      limit = std::min<std::size_t>(limit, static_cast<std::size_t>((now_us - ch.due) / ch.us_per_byte));
      if (limit <= ch.pos) {
        add_timer(ch.due + static_cast<std::int64_t>(ch.pos + 1) * ch.us_per_byte, c.id);
        break;
      }
    }
    if (!ch.data.empty()) {
      ssize_t n;
      if (c.datagram) {
        n = ::sendto(c.fd, ch.data.data(), ch.data.size(), 0, reinterpret_cast<const sockaddr*>(&ch.peer), ch.peer_len);
        if (n >= 0) n = static_cast<ssize_t>(ch.data.size() - ch.pos);
      } else {
        n = ::send(c.fd, ch.data.data() + ch.pos, limit - ch.pos, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == ENOTSOCK) n = ::write(c.fd, ch.data.data() + ch.pos, limit - ch.pos);
      }
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          set_epollout(c, true);
          return;
        }
        if (c.ep->kind == EndpointKind::tcp_listen) {
          close_conn(c.id);
          return;
        }
        c.out.pop_front(); // a serial line or UDP peer that failed: drop this answer
        continue;
      }
      ch.pos += static_cast<std::size_t>(n);
      if (ch.pos < ch.data.size()) {
        if (ch.pos < limit) {
          set_epollout(c, true);
          return;
        }
        add_timer(ch.due + static_cast<std::int64_t>(ch.pos + 1) * ch.us_per_byte, c.id);
        break;
      }
    }
    if (ch.close_after) {
      close_conn(c.id);
      return;
    }
    c.out.pop_front();
  }
  set_epollout(c, false);
}

void Server::start_fleets() {
  // Generator time 0 is m_start_us on the monotonic clock; meters stamp messages
  // with the wall clock, so take the wall time of the same instant.
  const TimePoint start_wall = now() - std::chrono::microseconds(mono_us() - m_start_us);
  for (const auto& port : m_site.ports) {
    if (!port.mqtt) continue;
    Fleet f;
    f.port = &port;
    f.fleet = std::make_unique<acrel::MeterFleet>(fleet_options(port, start_wall, &f.meters));
    m_fleets.push_back(std::move(f));
  }
  for (auto& f : m_fleets)
    f.fleet->start();
  if (!m_fleets.empty()) add_timer(mono_us() + 100000, k_timer_fleet);
}

// Diagnostics only: how long the meters of each mqtt port took to connect.
void Server::check_fleets() {
  bool pending = false;
  for (auto& f : m_fleets) {
    if (f.all_up) continue;
    if (f.fleet->stats().connected == f.fleet->size()) {
      f.all_up = true;
      log::info("{}: all {} meters connected after {} ms", f.port->name, f.fleet->size(),
                (mono_us() - m_start_us) / 1000);
    } else {
      pending = true;
    }
  }
  if (pending) add_timer(mono_us() + 100000, k_timer_fleet);
}

void Server::on_timer(std::uint64_t id) {
  if (id == k_timer_duration) {
    request_stop();
    return;
  }
  if (id == k_timer_fleet) {
    check_fleets();
    return;
  }
  auto it = m_conns.find(id);
  if (it == m_conns.end()) return;
  Conn& c = *it->second;
  if (c.split->pending_bytes() != 0) {
    if (!process_input(c)) return;
  }
  flush(c);
}

void Server::on_accept(Endpoint& ep) {
  for (;;) {
    const int fd = ::accept4(ep.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) log::warn("{}: too many open files; connection refused", ep.port->name);
      return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    add_conn(fd, &ep, false);
    ++m_stats.connections;
  }
}

void Server::on_readable(Conn& c) {
  if (c.datagram) return on_udp(c);
  std::uint8_t buf[4096];
  const std::uint64_t id = c.id;
  for (;;) {
    const ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n > 0) {
      const auto t = mono_us();
      if (c.split->pending_bytes() == 0) c.first_rx = t;
      c.last_rx = t;
      c.split->feed(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)), t);
      if (static_cast<std::size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n == 0) {
      if (c.ep->kind == EndpointKind::tcp_listen) {
        close_conn(id);
        return;
      }
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    if (c.ep->kind == EndpointKind::tcp_listen) {
      close_conn(id);
      return;
    }
    break; // a pty without a reader (EIO): wait for the next one
  }
  process_input(c);
}

bool Server::process_input(Conn& c) {
  const std::uint64_t id = c.id;
  modbus::StreamSplitter& split = *c.split;
  split.idle(mono_us());
  while (auto f = split.next()) {
    if (!f->ok() || !f->adu.unit || f->adu.pdu.empty()) {
      // [SL] §2.5.1.2, §2.5.2.2: a frame with a wrong CRC or LRC is discarded without an
      // answer, and so is garbage on the line. A TCP stream that is out of step stays so.
      ++m_stats.bad_frames;
      if (c.ep->framing == Framing::tcp) {
        log::info("{}: not a Modbus TCP frame; closing the connection", c.ep->port->name);
        close_conn(id);
        return false;
      }
      continue;
    }
    if (!serve(c, f->bytes, *f->adu.unit, f->adu.pdu, f->adu.tid.value_or(0), nullptr, 0) ||
        m_conns.find(id) == m_conns.end())
      return false;
    c.first_rx = c.last_rx;
  }
  if (const auto at = split.wake_at()) add_timer(*at, id);
  return true;
}

void Server::on_udp(Conn& c) {
  std::uint8_t buf[modbus::k_max_tcp_adu_size + 16];
  for (;;) {
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    const ssize_t n = ::recvfrom(c.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n < 0) return;
    // A datagram carries one MBAP frame: nothing before or after it.
    modbus::StreamSplitter& split = *c.split;
    split.reset();
    split.feed(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)));
    split.flush();
    const auto f = split.next();
    if (!f || !f->ok() || f->bytes.size() != static_cast<std::size_t>(n)) {
      ++m_stats.bad_frames;
      continue;
    }
    serve(c, f->bytes, *f->adu.unit, f->adu.pdu, f->adu.tid.value_or(0), &peer, plen);
  }
}

bool Server::serve(Conn& c, std::span<const std::uint8_t> frame, std::uint8_t unit, std::span<const std::uint8_t> pdu,
                   std::uint16_t tid, const sockaddr_storage* peer, socklen_t peer_len) {
  ++m_stats.requests;
  const std::uint64_t id = c.id; // `c` is gone once flush() closes the connection
  Endpoint& ep = *c.ep;
  const bool serial = ep.kind == EndpointKind::serial;
  SimDevice* d = ep.by_unit[unit];
  const std::uint8_t fc = pdu.empty() ? 0 : pdu[0];
  m_pdu_out.clear();
  FaultAction act;
  if (d == nullptr) {
    ++m_stats.unknown_unit;
    if (unit == modbus::k_broadcast_address && serial) {
      // [SL] §2.1: a broadcast write is executed by every slave, and none answers.
      const double t = sim_time();
      for (auto* sd : ep.devices) {
        sd->dev->handle(pdu, t, m_pdu_out, [&](const WriteEvent& e) { log_write(*sd, e); });
      }
      if (m_opt.log) log_request(ep, frame, nullptr, nullptr, {});
      return true;
    }
    const auto& code = ep.port->settings.unknown_unit;
    if (serial || !code) {
      if (m_opt.log) log_request(ep, frame, nullptr, nullptr, {});
      return true; // nobody on the bus has this address: silence
    }
    // A gateway whose target does not answer says so ([AP] §7, codes 0A/0B).
    m_pdu_out.push_back(static_cast<std::uint8_t>(fc | modbus::k_exception_bit));
    m_pdu_out.push_back(*code);
  } else {
    const double t = sim_time();
    act = d->faults.decide(pdu, t);
    if (act.any()) ++m_stats.faults;
    if (act.silent) {
      if (m_opt.log) log_request(ep, frame, d, &act, {});
      return true;
    }
    if (act.drop) {
      if (m_opt.log) log_request(ep, frame, d, &act, {});
      if (ep.kind == EndpointKind::tcp_listen) {
        // Close after what is already queued, as a device that resets the link.
        Chunk ch;
        ch.due = mono_us();
        ch.close_after = true;
        c.out.push_back(std::move(ch));
        flush(c);
        return m_conns.count(id) != 0;
      }
      return true;
    }
    if (act.exception) {
      m_pdu_out.push_back(static_cast<std::uint8_t>(fc | modbus::k_exception_bit));
      m_pdu_out.push_back(*act.exception);
    } else {
      d->dev->handle(pdu, t, m_pdu_out, [&](const WriteEvent& e) { log_write(*d, e); });
    }
  }
  if (m_pdu_out.empty()) return true;
  if (m_pdu_out[0] & modbus::k_exception_bit) ++m_stats.exceptions;
  ++m_stats.answers;
  std::uint8_t reply_unit = unit;
  if (act.wrong_unit) reply_unit = static_cast<std::uint8_t>(unit >= 247 ? 1 : unit + 1);
  const std::uint16_t reply_tid = act.wrong_tid ? static_cast<std::uint16_t>(tid + 1) : tid;
  m_adu_out.clear();
  switch (ep.framing) {
  case Framing::tcp: modbus::append_tcp(m_adu_out, reply_tid, reply_unit, m_pdu_out); break;
  case Framing::rtu:
  case Framing::rtu_over_tcp: modbus::append_rtu(m_adu_out, reply_unit, m_pdu_out); break;
  case Framing::ascii: modbus::append_ascii(m_adu_out, reply_unit, m_pdu_out); break;
  }
  if (m_opt.log) log_request(ep, frame, d, act.any() ? &act : nullptr, m_adu_out);

  const std::int64_t now_us = mono_us();
  std::int64_t due = now_us + act.delay_us;
  std::int64_t per_byte = 0;
  if (serial && m_opt.wire_timing) {
    // The request took its wire time to arrive (a pty delivers it at once), then the
    // line must be silent for t3.5 before the answer ([SL] §2.5.1.1).
    const std::int64_t request_end = c.first_rx + static_cast<std::int64_t>(frame.size()) * ep.char_us;
    due = std::max({due, request_end + ep.t35_us, c.line_free + ep.t35_us});
    per_byte = ep.char_us;
  }
  if (act.ms_per_byte > 0) per_byte = static_cast<std::int64_t>(act.ms_per_byte * 1000);

  // Fast path: nothing queued, nothing to wait for: send now.
  if (!act.any() && per_byte == 0 && due <= now_us && c.out.empty() && !c.datagram) {
    const ssize_t n = ::send(c.fd, m_adu_out.data(), m_adu_out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(m_adu_out.size())) return true;
    if (n < 0 && errno == ENOTSOCK) {
      const ssize_t w = ::write(c.fd, m_adu_out.data(), m_adu_out.size());
      if (w == static_cast<ssize_t>(m_adu_out.size())) return true;
    }
    // Fall through to the queue with what is left.
    Chunk ch;
    ch.due = now_us;
    ch.data = m_adu_out;
    ch.pos = n > 0 ? static_cast<std::size_t>(n) : 0;
    c.out.push_back(std::move(ch));
    flush(c);
    return m_conns.count(id) != 0;
  }
  auto pieces = spoil(m_adu_out, act, ep.framing, m_noise_seed);
  std::int64_t at = due;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    Chunk ch;
    ch.due = at;
    ch.us_per_byte = per_byte;
    ch.data = std::move(pieces[i]);
    if (peer) {
      ch.peer = *peer;
      ch.peer_len = peer_len;
    }
    at += static_cast<std::int64_t>(ch.data.size()) * per_byte;
    if (i + 1 < pieces.size()) at += act.split_us;
    c.out.push_back(std::move(ch));
  }
  c.line_free = at;
  flush(c);
  return m_conns.count(id) != 0;
}

void Server::log_request(const Endpoint& ep, std::span<const std::uint8_t> frame, const SimDevice* d,
                         const FaultAction* act, std::span<const std::uint8_t> reply) {
  modbus::decode_frame(frame, ep.framing, modbus::Direction::request, m_frame);
  RecordLine r(m_out);
  r.w.begin_record(now(), "frame");
  modbus::write_frame_fields(r.w, m_frame);
  r.w.field("port", ep.port->name);
  if (d) r.w.field("device", d->dev->name());
  if (act && act->any()) {
    r.w.key("faults");
    r.w.begin_array();
    for (auto k : act->applied)
      r.w.value(config::fault_kind_name(k));
    r.w.end_array();
  }
  if (!reply.empty()) {
    r.w.key("reply_hex");
    std::string hex;
    append_hex(hex, reply);
    r.w.value(hex);
  }
  r.w.end_object();
}

void Server::log_write(const SimDevice& d, const WriteEvent& e) {
  ++m_stats.writes;
  RecordLine r(m_out);
  r.w.begin_record(now(), "write");
  r.w.field("port", d.ep->port->name);
  r.w.field("unit", static_cast<int>(d.dev->unit()));
  r.w.field("device", d.dev->name());
  r.w.field("addr", values::to_string(values::Range{e.table, e.addr, e.count}));
  const double t = sim_time();
  r.w.key("points");
  r.w.begin_object();
  const auto& pts = d.dev->points();
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const auto rg = pts[i].def->range();
    if (rg.table != e.table || rg.addr >= e.addr + e.count || e.addr >= rg.end()) continue;
    r.w.key(pts[i].def->name);
    values::write_json(r.w, d.dev->current(i, t));
  }
  r.w.end_object();
  r.w.end_object();
}

std::vector<SimDevice*> Server::targets(const Command& cmd) {
  std::vector<SimDevice*> out;
  if (!cmd.device.empty()) {
    auto it = m_by_name.find(cmd.device);
    if (it == m_by_name.end()) throw data_error("unknown device \"" + cmd.device + "\"");
    out.push_back(it->second);
    return out;
  }
  if (!cmd.port.empty()) {
    Endpoint* ep = nullptr;
    for (auto& e : m_endpoints)
      if (e->port->name == cmd.port) ep = e.get();
    if (ep == nullptr) throw data_error("unknown port \"" + cmd.port + "\"");
    if (cmd.unit) {
      if (ep->by_unit[*cmd.unit] == nullptr)
        throw data_error("no unit " + std::to_string(*cmd.unit) + " on port " + cmd.port);
      out.push_back(ep->by_unit[*cmd.unit]);
    } else {
      out = ep->devices;
    }
    return out;
  }
  for (auto& d : m_devices)
    out.push_back(d.get());
  return out;
}

std::vector<std::pair<Fleet*, std::size_t>> Server::meter_targets(const Command& cmd) {
  std::vector<std::pair<Fleet*, std::size_t>> out;
  for (auto& f : m_fleets) {
    for (std::size_t i = 0; i < f.meters.size(); ++i) {
      const auto& h = f.meters[i];
      if (!cmd.device.empty() ? (h.name == cmd.device || h.sn == cmd.device)
                              : (!cmd.port.empty() && h.port == cmd.port))
        out.emplace_back(&f, i);
    }
  }
  return out;
}

namespace {
// What a Modbus fault kind means for an MQTT meter (docs: iot-sim(1) COMMANDS).
acrel::MeterFault meter_fault(const config::FaultSpec& f) {
  using K = config::FaultSpec::Kind;
  acrel::MeterFault m;
  switch (f.kind) {
  case K::timeout: m.kind = acrel::MeterFault::Kind::silent; break;
  case K::drop: m.kind = acrel::MeterFault::Kind::offline; break;
  case K::flap:
    m.kind = acrel::MeterFault::Kind::flap;
    m.offline = std::chrono::duration_cast<std::chrono::milliseconds>(f.offline);
    m.online = std::chrono::duration_cast<std::chrono::milliseconds>(f.online);
    break;
  case K::exception: m.kind = acrel::MeterFault::Kind::missing; break;
  default:
    throw data_error("fault kind \"" + std::string(fault_kind_name(f.kind)) +
                     "\" does not apply to an mqtt meter (timeout, drop, flap, exception)");
  }
  return m;
}
} // namespace

bool Server::run_meter_command(const Command& cmd, std::optional<double>& got, std::size_t& affected) {
  if (cmd.op == Command::Op::stop) return false;
  const auto meters = meter_targets(cmd);
  if (meters.empty()) return false;
  switch (cmd.op) {
  case Command::Op::fault: {
    const acrel::MeterFault mf = meter_fault(cmd.fault);
    for (auto [f, i] : meters) f->fleet->set_fault(i, mf);
    affected = meters.size();
    break;
  }
  case Command::Op::clear:
    // clear_kind: only a fault of that kind; a meter has at most one.
    for (auto [f, i] : meters) f->fleet->set_fault(i, std::nullopt);
    affected = meters.size();
    break;
  case Command::Op::set:
  case Command::Op::get: {
    if (meters.size() != 1) throw data_error(cmd.name + " needs one meter (\"device\")");
    auto [f, i] = meters.front();
    auto& h = f->meters[i];
    if (cmd.op == Command::Op::set) {
      std::optional<double> v;
      if (const auto* d = std::get_if<double>(&cmd.value)) v = *d;
      else if (const auto* n = std::get_if<std::int64_t>(&cmd.value)) v = static_cast<double>(*n);
      else if (const auto* u = std::get_if<std::uint64_t>(&cmd.value)) v = static_cast<double>(*u);
      else if (const auto* b = std::get_if<bool>(&cmd.value)) v = *b ? 1.0 : 0.0;
      else if (!std::holds_alternative<std::monostate>(cmd.value))
        throw data_error("value: a meter's point takes a number, a boolean or null");
      if (!h.values->set(cmd.point, v)) throw data_error("meter " + h.name + " has no point \"" + cmd.point + "\"");
      f->fleet->refresh(i); // the new value goes out at once (and alarm words are checked)
    }
    got = h.values->get(cmd.point, now());
    if (!got) throw data_error("meter " + h.name + " has no point \"" + cmd.point + "\"");
    affected = 1;
    break;
  }
  case Command::Op::stop: break;
  }
  return true;
}

void Server::run_command(std::string_view line) {
  ++m_stats.commands;
  Command cmd;
  std::string error;
  values::Value got;
  bool have_value = false;
  std::size_t affected = 0;
  try {
    cmd = parse_command(line);
    const double t = sim_time();
    std::optional<double> meter_value;
    if (run_meter_command(cmd, meter_value, affected)) {
      if (meter_value) {
        got = *meter_value;
        have_value = true;
      }
    } else switch (cmd.op) {
    case Command::Op::fault:
      for (auto* d : targets(cmd)) {
        d->faults.add(cmd.fault, t);
        ++affected;
      }
      break;
    case Command::Op::clear:
      for (auto* d : targets(cmd)) {
        d->faults.clear(cmd.clear_kind);
        ++affected;
      }
      if (cmd.device.empty() && cmd.port.empty()) // every device: the meters too
        for (auto& f : m_fleets)
          for (std::size_t i = 0; i < f.fleet->size(); ++i) {
            f.fleet->set_fault(i, std::nullopt);
            ++affected;
          }
      break;
    case Command::Op::set:
    case Command::Op::get: {
      auto devs = targets(cmd);
      auto* d = devs.front();
      auto idx = d->dev->find_point(cmd.point);
      if (!idx) throw data_error("device " + d->dev->name() + " has no point \"" + cmd.point + "\"");
      if (cmd.op == Command::Op::set) d->dev->set(*idx, cmd.value);
      got = d->dev->current(*idx, t);
      have_value = true;
      affected = 1;
      break;
    }
    case Command::Op::stop: request_stop(); break;
    }
  } catch (const Error& e) {
    error = e.what();
  }
  if (!error.empty()) {
    ++m_stats.command_errors;
    log::warn("command: {}", error);
  }
  RecordLine r(m_out);
  r.w.begin_record(now(), "ack");
  r.w.field("ok", error.empty());
  if (!cmd.name.empty()) r.w.field("command", cmd.name);
  if (!cmd.id.empty()) r.w.field("id", cmd.id);
  if (!cmd.device.empty()) r.w.field("device", cmd.device);
  if (!cmd.port.empty()) r.w.field("port", cmd.port);
  if (!cmd.point.empty()) r.w.field("point", cmd.point);
  if (error.empty()) {
    if (cmd.op == Command::Op::fault || cmd.op == Command::Op::clear)
      r.w.field("devices", static_cast<unsigned long>(affected));
    if (have_value) {
      r.w.key("value");
      values::write_json(r.w, got);
    }
  } else {
    r.w.field("error", error);
  }
  r.w.end_object();
}

void Server::on_stdin() {
  char buf[8192];
  const ssize_t n = ::read(0, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    // End of the command stream: keep serving, stop listening to it.
    if (m_stdin_open) epoll_ctl(m_ep, EPOLL_CTL_DEL, 0, nullptr);
    m_stdin_open = false;
    if (!m_stdin_buf.empty()) run_command(m_stdin_buf);
    m_stdin_buf.clear();
    return;
  }
  m_stdin_buf.append(buf, static_cast<std::size_t>(n));
  std::size_t start = 0;
  for (;;) {
    const auto nl = m_stdin_buf.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(m_stdin_buf.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) run_command(line);
    start = nl + 1;
  }
  m_stdin_buf.erase(0, start);
  if (m_stdin_buf.size() > (1u << 20)) m_stdin_buf.clear(); // a line this long is no command
}

ExitCode Server::run() {
  // 1,000 connections need more descriptors than the usual soft limit of 1024.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  build_devices();
  m_ep = epoll_create1(EPOLL_CLOEXEC);
  if (m_ep < 0) throw errno_error("epoll_create1");
  m_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (m_timer_fd < 0) throw errno_error("timerfd_create");
  open_endpoints();
  auto watch = [&](int fd, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    return epoll_ctl(m_ep, EPOLL_CTL_ADD, fd, &ev) == 0;
  };
  watch(stop_fd(), k_tag_stop);
  watch(m_timer_fd, k_tag_timer);
  bool stdin_is_file = false;
  if (m_opt.commands) {
    const int fl = fcntl(0, F_GETFL);
    if (fl >= 0 && watch(0, k_tag_stdin)) {
      fcntl(0, F_SETFL, fl | O_NONBLOCK);
      m_stdin_open = true;
    } else if (fl >= 0 && errno == EPERM) {
      stdin_is_file = true; // epoll refuses regular files: read it whole after `ready`
    }
  }
  m_start_us = mono_us();
  start_fleets();
  if (m_opt.duration) add_timer(m_start_us + m_opt.duration->count(), k_timer_duration);
  if (!m_opt.site_out.empty()) write_site_out(); // before `ready`: who waits for it finds the file
  write_ready();
  if (stdin_is_file) {
    m_stdin_open = true;
    while (m_stdin_open)
      on_stdin();
  }
  m_out.flush();

  std::array<epoll_event, 256> evs{};
  while (!stop_requested()) {
    const int n = epoll_wait(m_ep, evs.data(), static_cast<int>(evs.size()), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw errno_error("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = evs[static_cast<std::size_t>(i)].data.u64;
      const auto events = evs[static_cast<std::size_t>(i)].events;
      if (tag == k_tag_stop) continue;
      if (tag == k_tag_stdin) {
        on_stdin();
        continue;
      }
      if (tag == k_tag_timer) {
        std::uint64_t expirations = 0;
        [[maybe_unused]] auto r = ::read(m_timer_fd, &expirations, sizeof expirations);
        const std::int64_t now_us = mono_us();
        std::vector<std::uint64_t> due;
        while (!m_timers.empty() && m_timers.top().first <= now_us) {
          due.push_back(m_timers.top().second);
          m_timers.pop();
        }
        m_armed = -1;
        std::sort(due.begin(), due.end());
        due.erase(std::unique(due.begin(), due.end()), due.end());
        for (auto id : due)
          on_timer(id);
        arm_timer();
        continue;
      }
      if (tag >= k_tag_listener && tag < k_first_conn_id) {
        on_accept(*m_endpoints[tag - k_tag_listener]);
        continue;
      }
      auto it = m_conns.find(tag);
      if (it == m_conns.end()) continue;
      Conn& c = *it->second;
      if (events & EPOLLOUT) {
        flush(c);
        if (m_conns.find(tag) == m_conns.end()) continue;
      }
      if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if ((events & EPOLLHUP) && !(events & EPOLLIN) && c.ep->kind == EndpointKind::serial) {
          // A pty whose poller closed: we hold the slave open, so this is transient.
          continue;
        }
        on_readable(c);
      }
    }
    m_out.flush();
  }
  for (auto& f : m_fleets)
    f.fleet->stop(); // DISCONNECT every meter; counters stay for the stats record
  write_stats();
  m_out.flush();
  return ExitCode::ok;
}

} // namespace

config::Site quick_site(const std::string& url, const std::string& units, const std::string& model,
                        const std::string& models, const std::string& unknown_unit) {
  namespace fs = std::filesystem;
  if (model.empty()) throw usage_error("quick mode needs --model (a model of the catalog, e.g. FC1003-8)");
  const auto ids = values::parse_unit_list(units.empty() ? "1" : units, true);
  const auto target = transport::parse_target(url); // usage error for a bad URL
  (void)target;
  // --models: a catalog directory searched first, or one catalog file. There is no site
  // file, so no models/ beside it.
  config::LoadOptions load;
  load.beside_site = false;
  std::string models_file;
  if (!models.empty()) {
    std::error_code ec;
    if (fs::is_directory(models, ec))
      load.models_dir = models;
    else if (fs::is_regular_file(models, ec))
      models_file = fs::absolute(models).string();
    else
      throw usage_error("--models: no such file or directory: " + models);
  }
  // An unknown model is an error about --model, not about the site text built below.
  {
    std::map<std::string, config::Model> known;
    if (!models_file.empty()) known = config::load_models(models_file);
    const auto dirs = config::catalog_dirs({}, load);
    if (!known.count(model)) known.merge(config::load_catalog(dirs));
    if (!known.count(model)) {
      std::string where, names;
      for (const auto& d : dirs)
        where += (where.empty() ? "" : ", ") + d.string();
      for (const auto& [name, m] : known)
        names += (names.empty() ? "" : ", ") + name;
      throw usage_error("--model: unknown model '" + model + "'" +
                        (names.empty() ? std::string() : "; known models: " + names) + " (catalog searched in " +
                        (where.empty() ? "no existing directory" : where) + "; see iot-site(5), MODEL CATALOG)");
    }
  }
  std::string text = "[site]\nname = \"iot-sim\"\n";
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char ch : s) {
      if (ch == '"' || ch == '\\') q.push_back('\\');
      q.push_back(ch);
    }
    return q + "\"";
  };
  if (!models_file.empty()) text += "models = [" + quote(models_file) + "]\n";
  text += "[[port]]\nname = \"sim\"\nurl = " + quote(url) + "\n";
  if (!unknown_unit.empty()) {
    if (unknown_unit == "none")
      text += "unknown_unit = \"none\"\n";
    else if (!unknown_unit.empty() && std::isdigit(static_cast<unsigned char>(unknown_unit[0])))
      text += "unknown_unit = " + unknown_unit + "\n";
    else
      text += "unknown_unit = " + quote(unknown_unit) + "\n";
  }
  for (auto id : ids) {
    text += "[[port.device]]\nname = \"unit" + std::to_string(id) + "\"\nunit = " + std::to_string(id) +
            "\nmodel = " + quote(model) + "\n";
  }
  try {
    return config::parse_site(text, "quick mode", load);
  } catch (const Error& e) {
    // The text is ours: what can still be wrong came from an option. Name it.
    const std::string msg = e.what();
    static const std::pair<std::string_view, std::string_view> k_option_of[] = {
        {"port[0].unknown_unit: ", "--unknown-unit: "}, {"port[0].url: ", "target: "}};
    for (const auto& [key, option] : k_option_of) {
      if (auto at = msg.find(key); at != std::string::npos)
        throw usage_error(std::string(option) + msg.substr(at + key.size()));
    }
    throw usage_error("quick mode (--model " + model + "): " + msg.substr(msg.find(": ") + 2));
  }
}

ExitCode serve(const config::Site& site, const Options& options, LineSink& out) {
  Server server(site, options, out);
  return server.run();
}

} // namespace iot::sim
