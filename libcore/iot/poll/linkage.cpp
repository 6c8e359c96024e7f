#include "iot/poll/linkage.hpp"

#include <fmt/format.h>

#include "iot/core/log.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/values/value_json.hpp"

namespace iot::poll {

namespace {
std::string key_of(std::string_view device, std::string_view point) {
  std::string k(device);
  k += '\n';
  k += point;
  return k;
}

std::string json_of(const values::Value& v) {
  std::string out;
  JsonWriter w(out);
  values::write_json(w, v);
  return out;
}
} // namespace

Linkage::Linkage(std::vector<config::Link> links, bool allow_write, std::function<void(WriteCommand)> submit)
    : m_links(std::move(links)), m_allow_write(allow_write), m_submit(std::move(submit)),
      m_active(m_links.size(), false) {}

bool Linkage::holds(const config::LinkCondition& c, AlarmLevel level) {
  const std::string_view name = alarm_level_name(level);
  switch (c.op) {
  case config::LinkCondition::Op::any: return level != AlarmLevel::none;
  case config::LinkCondition::Op::equal: return name == c.level;
  case config::LinkCondition::Op::at_least:
    // ">= H" is H or HH, ">= L" is L or LL: the more severe level on the same side.
    if (c.level == "H") return level == AlarmLevel::h || level == AlarmLevel::hh;
    if (c.level == "L") return level == AlarmLevel::l || level == AlarmLevel::ll;
    return name == c.level;
  }
  return false;
}

void Linkage::on_alarm(std::string_view device, std::string_view point, AlarmLevel level) {
  std::lock_guard lock(m_mutex);
  const std::string key = key_of(device, point);
  m_levels[key] = level;
  for (std::size_t i = 0; i < m_links.size(); ++i) {
    const config::Link& link = m_links[i];
    bool watches = false, now = false;
    for (const auto& c : link.when) {
      const std::string ck = key_of(c.device, c.point);
      if (ck == key) watches = true;
      auto it = m_levels.find(ck);
      if (it != m_levels.end() && holds(c, it->second)) now = true;
    }
    if (!watches || now == m_active[i]) continue;
    m_active[i] = now;
    for (const auto& a : link.then) {
      auto& holders = m_holders[key_of(a.device, a.point)];
      if (now) {
        holders.insert(i);
        issue(link, a, a.value, false);
      } else {
        holders.erase(i);
        if (holders.empty()) issue(link, a, a.release, true); // the last link holding it ended
      }
    }
  }
}

void Linkage::issue(const config::Link& link, const config::LinkAction& a, const values::Value& v, bool release) {
  WriteCommand cmd;
  cmd.device = a.device;
  cmd.point = a.point;
  cmd.value = v;
  cmd.cause = fmt::format("link:{}{}", link.name, release ? ":release" : "");
  if (!m_allow_write) {
    log::warn("link '{}' ({}): not writing {}.{} = {}: linked writes need --allow-write", link.name, link.pos.str(),
              a.device, a.point, json_of(v));
    return;
  }
  m_submit(std::move(cmd));
}

std::vector<std::string> Linkage::active() const {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < m_links.size(); ++i)
    if (m_active[i]) out.push_back(m_links[i].name);
  return out;
}

} // namespace iot::poll
