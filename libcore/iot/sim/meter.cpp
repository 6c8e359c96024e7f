#include "iot/sim/meter.hpp"

#include <cmath>

#include "iot/acrel/protocol.hpp"
#include "iot/core/error.hpp"
#include "iot/mqtt/options.hpp"

namespace iot::sim {

using Kind = config::GeneratorSpec::Kind;

namespace {
// Round half away from zero to `decimals` fraction digits (the rule of docs/config.md).
double round_to(double v, int decimals) {
  const double f = std::pow(10.0, decimals);
  return std::round(v * f) / f;
}
} // namespace

std::vector<std::shared_ptr<Generator>> MeterValues::shared_generators(const config::Device& def) {
  std::vector<std::shared_ptr<Generator>> out;
  for (const auto& p : def.points) {
    if (p.generator && p.generator->kind != Kind::walk && p.generator->kind != Kind::link)
      out.push_back(std::make_shared<Generator>(*p.generator));
    else
      out.push_back(nullptr);
  }
  return out;
}

MeterValues::MeterValues(const config::Device& def, std::size_t index, TimePoint start,
                         const std::vector<std::shared_ptr<Generator>>& shared)
    : m_start(start) {
  for (std::size_t i = 0; i < def.points.size(); ++i) {
    const auto& p = def.points[i];
    Item it;
    it.key = std::string(acrel::data_key_of_point(p.name).value_or(p.name));
    it.decimals = p.scaling.decimals ? *p.scaling.decimals : acrel::data_key_decimals(it.key);
    if (p.generator && p.generator->kind == Kind::link) {
      const auto& g = *p.generator;
      std::string target = g.point;
      if (const auto dot = target.find('.'); dot != std::string::npos) {
        if (target.substr(0, dot) != def.name)
          throw config_error(g.pos.str() +
                             ": generator.point: a meter on an mqtt port links only to its own points, "
                             "not to '" +
                             target + "'");
        target = target.substr(dot + 1);
      }
      bool found = false;
      for (std::size_t j = 0; j < def.points.size(); ++j)
        if (def.points[j].name == target) {
          it.link_to = j;
          found = true;
        }
      if (!found) throw config_error(g.pos.str() + ": generator.point: no point '" + target + "' on this meter");
      it.link = &g;
    } else if (p.generator && p.generator->kind == Kind::walk) {
      config::GeneratorSpec g = *p.generator;
      g.seed += index;
      it.gen = std::make_shared<Generator>(g);
    } else if (i < shared.size() && shared[i]) {
      it.gen = shared[i];
    } else if (p.generator) {
      it.gen = std::make_shared<Generator>(*p.generator);
    }
    m_items.push_back(std::move(it));
  }
  // A cycle of links would recurse forever: the site loader refuses them, but
  // check here too since the meter resolves names itself.
  for (std::size_t i = 0; i < m_items.size(); ++i) {
    std::size_t cur = i;
    for (std::size_t steps = 0; m_items[cur].link != nullptr; ++steps) {
      if (steps > m_items.size())
        throw config_error(m_items[i].link->pos.str() + ": generator: link cycle on meter " + def.name);
      cur = m_items[cur].link_to;
    }
  }
}

double MeterValues::value(std::size_t i, double seconds, int depth) {
  Item& it = m_items[i];
  if (it.link != nullptr && depth < 64)
    return value(it.link_to, seconds, depth + 1) * it.link->factor + it.link->offset;
  return it.gen ? it.gen->value(seconds) : 0.0;
}

void MeterValues::values(TimePoint t, std::vector<std::pair<std::string, double>>& out) {
  const double seconds = std::max(0.0, static_cast<double>((t - m_start).count()) / 1e6);
  for (std::size_t i = 0; i < m_items.size(); ++i)
    out.emplace_back(m_items[i].key, round_to(value(i, seconds), m_items[i].decimals));
}

acrel::FleetOptions fleet_options(const config::Port& port, TimePoint start) {
  if (!port.mqtt) throw config_error(port.pos.str() + ": port " + port.name + " is not an mqtt port");
  const auto& s = *port.mqtt;
  acrel::FleetOptions o;
  o.connect.broker = s.broker;
  o.connect.username = s.username;
  o.connect.password = iot::mqtt::read_password(s.password_file, s.password_env);
  o.connect.ca_file = s.ca_file;
  o.connect.cert_file = s.cert_file;
  o.connect.key_file = s.key_file;
  o.connect.insecure = s.insecure;
  o.connect.keepalive = std::chrono::duration_cast<std::chrono::seconds>(s.keepalive);
  o.heart = std::chrono::duration_cast<std::chrono::milliseconds>(s.heart);
  o.qos = s.qos;
  for (const auto& d : port.devices) {
    if (!d.enabled || !d.meter) continue;
    const auto shared = MeterValues::shared_generators(d);
    std::size_t index = 0;
    for (const auto& id : d.meters()) {
      acrel::MeterSpec m;
      m.sn = id.sn;
      m.product = d.meter->product;
      m.meter_name = d.meter->meter_name;
      m.up_interval_minutes = static_cast<int>(d.meter->up_interval);
      if (d.meter->fast) m.fast = std::chrono::duration_cast<std::chrono::milliseconds>(*d.meter->fast);
      auto values = std::make_shared<MeterValues>(d, index++, start, shared);
      m.data = [values](TimePoint t, std::vector<std::pair<std::string, double>>& out) { values->values(t, out); };
      o.meter_list.push_back(std::move(m));
    }
  }
  o.meters = o.meter_list.size();
  return o;
}

} // namespace iot::sim
