// iot-sim: the event loop (one epoll, timers on one timerfd), endpoints and connections.
#include "iot/sim/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>
#include <utility>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/core/time.hpp"

namespace iot::sim::detail {

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

namespace {
// How a port of each target scheme is served: the kind of endpoint and the framing on it.
std::pair<EndpointKind, Framing> serving_of(transport::Scheme scheme) {
  switch (scheme) {
  case transport::Scheme::tcp: return {EndpointKind::tcp_listen, Framing::tcp};
  case transport::Scheme::rtu_over_tcp: return {EndpointKind::tcp_listen, Framing::rtu_over_tcp};
  case transport::Scheme::udp: return {EndpointKind::udp, Framing::tcp};
  case transport::Scheme::rtu: return {EndpointKind::serial, Framing::rtu};
  case transport::Scheme::ascii: return {EndpointKind::serial, Framing::ascii};
  }
  return {EndpointKind::tcp_listen, Framing::tcp};
}
} // namespace

void Server::open_endpoints() {
  for (auto& ep : m_endpoints) {
    const auto& t = ep->port->target;
    std::tie(ep->kind, ep->framing) = serving_of(t.scheme);
    if (ep->kind == EndpointKind::serial)
      open_serial_ep(*ep, t);
    else
      open_tcp(*ep, t, ep->kind == EndpointKind::udp);
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

void Server::start_fleets() {
  // Generator time 0 is m_start_us on the monotonic clock; meters stamp messages
  // with the wall clock, so take the wall time of the same instant.
  m_fleets.start(m_site, now() - std::chrono::microseconds(mono_us() - m_start_us));
  if (!m_fleets.empty()) add_timer(mono_us() + 100000, k_timer_fleet);
}

// Diagnostics only: how long the meters of each mqtt port took to connect.
void Server::check_fleets() {
  if (m_fleets.check_connected((mono_us() - m_start_us) / 1000)) add_timer(mono_us() + 100000, k_timer_fleet);
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
  m_fleets.stop(); // DISCONNECT every meter; counters stay for the stats record
  write_stats();
  m_out.flush();
  return ExitCode::ok;
}

} // namespace iot::sim::detail
