#pragma once
// Alarm relay linkage (报警继电器联动, the site file's [[link]] entries): turns alarm
// events into write commands. A link is active while any of its conditions holds; when it
// starts, its relays get their `value`; when it ends, each relay that no other active link
// holds gets its `release` value. The writes are handed to `submit`, the same queue as stdin
// writes (Engine::submit), so they go before the next device read of their port.
//
// Thread-safe: alarms of all ports arrive here (from their workers, under the Output lock),
// so `submit` must not write records itself (Engine::submit does not for a device it owns;
// the site loader has checked that every relay is an enabled, writable point).
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "iot/config/site.hpp"
#include "iot/poll/alarm.hpp"
#include "iot/poll/engine.hpp"

namespace iot::poll {

class Linkage {
public:
  // `allow_write` false: links are evaluated, but instead of writing, each would-be write
  // is refused with a warning on stderr (writes need --allow-write).
  Linkage(std::vector<config::Link> links, bool allow_write, std::function<void(WriteCommand)> submit);

  // The alarm level of `device`.`point` is now `level`.
  void on_alarm(std::string_view device, std::string_view point, AlarmLevel level);

  bool empty() const { return m_links.empty(); }
  // Links active now, by name (tests, diagnostics).
  std::vector<std::string> active() const;

  // Whether `level` satisfies a condition ("ctrl1.ch1 >= H": H or HH).
  static bool holds(const config::LinkCondition& c, AlarmLevel level);

private:
  void issue(const config::Link& link, const config::LinkAction& a, const values::Value& v, bool release);

  mutable std::mutex m_mutex;
  std::vector<config::Link> m_links;
  bool m_allow_write;
  std::function<void(WriteCommand)> m_submit;
  std::map<std::string, AlarmLevel, std::less<>> m_levels; // "device\npoint" -> level now
  std::vector<bool> m_active;                              // per link
  std::map<std::string, std::set<std::size_t>> m_holders;  // relay "device\npoint" -> active links holding it
};

} // namespace iot::poll
