#include "iot/poll/site_spec.hpp"

#include <fmt/format.h>

namespace iot::poll {

std::vector<PortSpec> ports_from_site(const config::Site& site) {
  std::vector<PortSpec> ports;
  for (const auto& port : site.ports) {
    if (port.mqtt) continue; // simulated Acrel meters (iot-sim): they publish, nothing to poll
    PortSpec ps{.name = port.name, .target = port.target, .timing = {}, .devices = {}};
    const auto& s = port.settings;
    ps.timing.interval = s.interval;
    ps.timing.timeout = s.timeout;
    ps.timing.retries = s.retries;
    ps.timing.offline_after = std::max<std::uint32_t>(1, s.offline_after);
    ps.timing.reconnect = s.reconnect;
    ps.timing.max_read = s.max_read;
    ps.timing.max_read_bits = s.max_read_bits;
    ps.timing.hole = s.hole;
    ps.timing.gap = s.gap;
    if (ps.target.is_serial() && ps.target.serial.rts == transport::Rts::none) ps.target.serial.rts = s.rts;
    for (const auto& dev : port.devices) {
      if (!dev.enabled) continue;
      DeviceSpec ds;
      ds.name = dev.name;
      ds.unit = dev.unit;
      ds.max_read = dev.effective_max_read(s);
      for (const auto& pt : dev.points) {
        if (!pt.enabled) continue;
        PointSpec p;
        p.name = pt.name;
        p.ref = pt.ref;
        p.format = pt.format;
        p.scaling = pt.scaling;
        p.uom = pt.uom;
        p.writable = pt.writable;
        if (pt.alarm) p.alarm = static_cast<const AlarmLimits&>(*pt.alarm);
        p.report.storage_period = pt.storage_period;
        p.report.report_deadband = pt.report_deadband;
        ds.points.push_back(std::move(p));
      }
      ps.devices.push_back(std::move(ds));
    }
    ports.push_back(std::move(ps));
  }
  return ports;
}

std::vector<std::string> describe_plan(const std::vector<PortSpec>& ports) {
  std::vector<std::string> lines;
  std::size_t total = 0, points = 0;
  for (const auto& port : ports) {
    lines.push_back(fmt::format("port {} ({}): interval {} ms, max_read {}, hole {}", port.name,
                                transport::to_string(port.target), port.timing.interval.count() / 1000,
                                port.timing.max_read, port.timing.hole));
    for (const auto& dev : port.devices) {
      auto plan = plan_device(dev, port.timing);
      lines.push_back(fmt::format("  device {} unit {}: {} points in {} reads", dev.name, dev.unit, dev.points.size(),
                                  plan.size()));
      for (const auto& r : plan) {
        std::string names;
        for (std::size_t i = 0; i < r.items.size(); ++i) {
          if (i == 4 && r.items.size() > 5) {
            names += fmt::format(" ... {}", dev.points[r.items.back()].name);
            break;
          }
          names += (i ? " " : "") + dev.points[r.items[i]].name;
        }
        lines.push_back(fmt::format("    FC{:02} {}:{} count {}: {}", read_function(r.table), plan_table_name(r.table),
                                    r.addr, r.count, names));
      }
      total += plan.size();
      points += dev.points.size();
    }
  }
  lines.push_back(fmt::format("total: {} points in {} reads per cycle", points, total));
  return lines;
}

} // namespace iot::poll
