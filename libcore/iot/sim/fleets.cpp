// iot-sim: the Acrel meter fleets of mqtt:// ports and the commands that reach their meters.
#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/time.hpp"
#include "iot/sim/server.hpp"

namespace iot::sim::detail {

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

void Fleets::start(const config::Site& site, TimePoint start_wall) {
  for (const auto& port : site.ports) {
    if (!port.mqtt) continue;
    Fleet f;
    f.port = &port;
    f.fleet = std::make_unique<acrel::MeterFleet>(fleet_options(port, start_wall, &f.meters));
    m_fleets.push_back(std::move(f));
  }
  for (auto& f : m_fleets)
    f.fleet->start();
}

bool Fleets::check_connected(std::int64_t since_start_ms) {
  bool pending = false;
  for (auto& f : m_fleets) {
    if (f.all_up) continue;
    if (f.fleet->stats().connected == f.fleet->size()) {
      f.all_up = true;
      log::info("{}: all {} meters connected after {} ms", f.port->name, f.fleet->size(), since_start_ms);
    } else {
      pending = true;
    }
  }
  return pending;
}

std::size_t Fleets::clear_all() {
  std::size_t meters = 0;
  for (auto& f : m_fleets)
    for (std::size_t i = 0; i < f.fleet->size(); ++i) {
      f.fleet->set_fault(i, std::nullopt);
      ++meters;
    }
  return meters;
}

void Fleets::stop() {
  for (auto& f : m_fleets)
    f.fleet->stop();
}

std::vector<std::pair<Fleet*, std::size_t>> Fleets::meter_targets(const Command& cmd) {
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

bool Fleets::run_command(const Command& cmd, std::optional<double>& got, std::size_t& affected) {
  if (cmd.op == Command::Op::stop) return false;
  const auto meters = meter_targets(cmd);
  if (meters.empty()) return false;
  switch (cmd.op) {
  case Command::Op::fault: {
    const acrel::MeterFault mf = meter_fault(cmd.fault);
    for (auto [f, i] : meters)
      f->fleet->set_fault(i, mf);
    affected = meters.size();
    break;
  }
  case Command::Op::clear:
    // clear_kind: only a fault of that kind; a meter has at most one.
    for (auto [f, i] : meters)
      f->fleet->set_fault(i, std::nullopt);
    affected = meters.size();
    break;
  case Command::Op::set:
  case Command::Op::get: {
    if (meters.size() != 1) throw data_error(cmd.name + " needs one meter (\"device\")");
    auto [f, i] = meters.front();
    auto& h = f->meters[i];
    if (cmd.op == Command::Op::set) {
      std::optional<double> v;
      if (const auto* d = std::get_if<double>(&cmd.value))
        v = *d;
      else if (const auto* n = std::get_if<std::int64_t>(&cmd.value))
        v = static_cast<double>(*n);
      else if (const auto* u = std::get_if<std::uint64_t>(&cmd.value))
        v = static_cast<double>(*u);
      else if (const auto* b = std::get_if<bool>(&cmd.value))
        v = *b ? 1.0 : 0.0;
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

} // namespace iot::sim::detail
