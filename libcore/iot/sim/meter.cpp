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
    it.name = p.name;
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
  if (it.fixed) return *it.fixed;
  if (it.link != nullptr && depth < 64)
    return value(it.link_to, seconds, depth + 1) * it.link->factor + it.link->offset;
  return it.gen ? it.gen->value(seconds) : 0.0;
}

double MeterValues::seconds_at(TimePoint t) const {
  return std::max(0.0, static_cast<double>((t - m_start).count()) / 1e6);
}

double MeterValues::rounded(std::size_t i, double seconds) { return round_to(value(i, seconds), m_items[i].decimals); }

namespace {
bool is_alarm_key(std::string_view key) {
  for (auto a : acrel::alarm_keys())
    if (a == key) return true;
  return false;
}
} // namespace

void MeterValues::values(TimePoint t, std::vector<std::pair<std::string, double>>& out) {
  std::lock_guard lock(m_mu);
  const double seconds = seconds_at(t);
  std::optional<std::size_t> di_at; // index in `out` of the DI word
  std::uint32_t di_set = 0, di_bits = 0;
  for (std::size_t i = 0; i < m_items.size(); ++i) {
    const std::string& key = m_items[i].key;
    if (is_alarm_key(key)) continue;
    if (acrel::is_di_key(key)) { // one DI of the word (§5 id 41, §6.2 0x003A)
      const unsigned bit = static_cast<unsigned>(key[2] - '1');
      di_set |= 1u << bit;
      if (value(i, seconds) != 0) di_bits |= 1u << bit;
      continue;
    }
    if (key == "di") di_at = out.size();
    out.emplace_back(key, rounded(i, seconds));
  }
  if (di_set != 0) {
    if (!di_at) {
      di_at = out.size();
      out.emplace_back("di", 0.0);
    }
    const auto word = static_cast<std::uint32_t>(std::max(0.0, out[*di_at].second));
    out[*di_at].second = static_cast<double>((word & ~di_set) | di_bits);
  }
}

void MeterValues::alarms(TimePoint t, std::vector<std::pair<std::string, double>>& out) {
  std::lock_guard lock(m_mu);
  const double seconds = seconds_at(t);
  for (std::size_t i = 0; i < m_items.size(); ++i)
    if (is_alarm_key(m_items[i].key)) out.emplace_back(m_items[i].key, std::round(value(i, seconds)));
}

std::optional<std::size_t> MeterValues::find(std::string_view name) const {
  for (std::size_t i = 0; i < m_items.size(); ++i)
    if (m_items[i].name == name) return i;
  for (std::size_t i = 0; i < m_items.size(); ++i)
    if (m_items[i].key == name) return i;
  return std::nullopt;
}

bool MeterValues::set(std::string_view name, std::optional<double> v) {
  std::lock_guard lock(m_mu);
  const auto i = find(name);
  if (!i) return false;
  m_items[*i].fixed = v;
  return true;
}

std::optional<double> MeterValues::get(std::string_view name, TimePoint t) {
  std::lock_guard lock(m_mu);
  const auto i = find(name);
  if (!i) return std::nullopt;
  return rounded(*i, seconds_at(t));
}

acrel::FleetOptions fleet_options(const config::Port& port, TimePoint start, std::vector<MeterHandle>* handles) {
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
      bool has_alarms = false;
      for (const auto& p : d.points)
        for (auto a : acrel::alarm_keys())
          has_alarms = has_alarms || acrel::data_key_of_point(p.name) == a;
      if (has_alarms)
        m.alarms = [values](TimePoint t, std::vector<std::pair<std::string, double>>& out) { values->alarms(t, out); };
      m.format = acrel::parse_data_format(d.meter->format).value_or(acrel::DataFormat::type);
      if (handles != nullptr) handles->push_back(MeterHandle{id.name, id.sn, port.name, values});
      o.meter_list.push_back(std::move(m));
    }
  }
  o.meters = o.meter_list.size();
  return o;
}

} // namespace iot::sim
