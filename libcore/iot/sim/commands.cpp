// iot-sim: command lines on stdin (fault, clear, set, get, stop) and their targets.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/core/time.hpp"
#include "iot/record/records.hpp"
#include "iot/sim/server.hpp"

namespace iot::sim::detail {

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
    if (m_fleets.run_command(cmd, meter_value, affected)) {
      if (meter_value) {
        got = *meter_value;
        have_value = true;
      }
    } else
      switch (cmd.op) {
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
        if (cmd.device.empty() && cmd.port.empty()) affected += m_fleets.clear_all(); // every device: the meters too
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
  record::Ack rec;
  rec.ts = now();
  rec.ok = error.empty();
  rec.command = cmd.name;
  rec.id = cmd.id;
  rec.device = cmd.device;
  rec.port = cmd.port;
  rec.point = cmd.point;
  if (error.empty()) {
    if (cmd.op == Command::Op::fault || cmd.op == Command::Op::clear) rec.devices = affected;
    if (have_value) rec.value = got;
  } else {
    rec.error = error;
  }
  RecordLine r(m_out);
  record::write(r.w, rec);
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

} // namespace iot::sim::detail
