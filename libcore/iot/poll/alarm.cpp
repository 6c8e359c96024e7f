#include "iot/poll/alarm.hpp"

#include <cmath>

#include "iot/core/names.hpp"

namespace iot::poll {

std::string_view alarm_level_name(AlarmLevel level) {
  static constexpr auto k_names = enum_names<AlarmLevel>("", "H", "HH", "L", "LL");
  return k_names.name(level, "");
}

std::string_view alarm_state_name(AlarmEvent::State state) {
  static constexpr auto k_names = enum_names<AlarmEvent::State>("raised", "level", "cleared");
  return k_names.name(state, "raised");
}

namespace {
bool is_high(AlarmLevel l) { return l == AlarmLevel::h || l == AlarmLevel::hh; }
bool is_low(AlarmLevel l) { return l == AlarmLevel::l || l == AlarmLevel::ll; }
int severity(AlarmLevel l) {
  switch (l) {
  case AlarmLevel::none: return 0;
  case AlarmLevel::h:
  case AlarmLevel::l: return 1;
  case AlarmLevel::hh:
  case AlarmLevel::ll: return 2;
  }
  return 0;
}
} // namespace

double AlarmEngine::limit_of(AlarmLevel level) const {
  switch (level) {
  case AlarmLevel::h: return m_limits.high.value_or(0);
  case AlarmLevel::hh: return m_limits.high_high.value_or(0);
  case AlarmLevel::l: return m_limits.low.value_or(0);
  case AlarmLevel::ll: return m_limits.low_low.value_or(0);
  case AlarmLevel::none: return 0;
  }
  return 0;
}

// WINDOW: the level of the region the value is in; a level holds within the deadband of
// its region's edges (none needs no band: like a cleared HH alarm, it is left as soon as
// the value is back at or below max).
AlarmLevel AlarmEngine::window_target(double v) const {
  const double lo = m_limits.min.value_or(0), hi = m_limits.max.value_or(0), db = m_limits.deadband;
  switch (m_level) {
  case AlarmLevel::h:
    if (v < lo - db) return AlarmLevel::l;
    if (v > hi + db) return AlarmLevel::none;
    return AlarmLevel::h;
  case AlarmLevel::l:
    if (v < lo + db) return AlarmLevel::l;
    return v <= hi ? AlarmLevel::h : AlarmLevel::none;
  default:
    if (v < lo) return AlarmLevel::l;
    return v <= hi ? AlarmLevel::h : AlarmLevel::none;
  }
}

// WINDOW: the edge crossed going from one level to another.
double AlarmEngine::window_limit(AlarmLevel from, AlarmLevel to) const {
  const double lo = m_limits.min.value_or(0), hi = m_limits.max.value_or(0);
  if (to == AlarmLevel::l || from == AlarmLevel::l) return lo; // below min, or back up past it
  return hi;                                                   // H <-> none: the max edge
}

AlarmLevel AlarmEngine::target(double v) const {
  if (m_limits.type == AlarmType::window) return window_target(v);
  const double db = m_limits.deadband;
  const AlarmLevel cur = m_level;
  const bool high_side = m_limits.type == AlarmType::hh || m_limits.type == AlarmType::hl;
  const bool low_side = m_limits.type == AlarmType::ll || m_limits.type == AlarmType::hl;
  if (high_side) {
    // A level holds while the value has not gone back past its limit by the deadband.
    const auto& hh = m_limits.high_high;
    if (hh && (v >= *hh || (cur == AlarmLevel::hh && v >= *hh - db))) return AlarmLevel::hh;
    const auto& h = m_limits.high;
    if (h && (v >= *h || (is_high(cur) && v >= *h - db))) return AlarmLevel::h;
    // Without `high`, HH's hold band is the only one.
  }
  if (low_side) {
    const auto& ll = m_limits.low_low;
    if (ll && (v <= *ll || (cur == AlarmLevel::ll && v <= *ll + db))) return AlarmLevel::ll;
    const auto& l = m_limits.low;
    if (l && (v <= *l || (is_low(cur) && v <= *l + db))) return AlarmLevel::l;
  }
  return AlarmLevel::none;
}

std::optional<AlarmEvent> AlarmEngine::update(double value, Micros t) {
  if (std::isnan(value)) return std::nullopt;
  const AlarmLevel want = target(value);
  if (want == m_level) {
    m_pending_since.reset();
    return std::nullopt;
  }
  // A step back towards normal on the same side needs no delay.
  const bool step_back =
      severity(want) < severity(m_level) && (want == AlarmLevel::none || is_high(want) == is_high(m_level));
  if (!step_back && m_limits.delay.count() > 0) {
    if (!m_pending_since) m_pending_since = t;
    if (t - *m_pending_since < m_limits.delay) return std::nullopt;
  }
  m_pending_since.reset();
  if (m_limits.type == AlarmType::window) {
    AlarmEvent ev;
    ev.previous = m_level;
    ev.level = want;
    ev.value = value;
    ev.state = m_level == AlarmLevel::none ? AlarmEvent::State::raised
               : want == AlarmLevel::none  ? AlarmEvent::State::cleared
                                           : AlarmEvent::State::level;
    // L -> none jumps over the window: the edge left behind is max.
    ev.limit = m_level == AlarmLevel::l && want == AlarmLevel::none ? *m_limits.max : window_limit(m_level, want);
    m_level = want;
    return ev;
  }
  AlarmEvent ev;
  ev.previous = m_level;
  ev.level = want;
  ev.value = value;
  if (m_level == AlarmLevel::none) {
    ev.state = AlarmEvent::State::raised;
    ev.limit = limit_of(want);
  } else if (want == AlarmLevel::none) {
    ev.state = AlarmEvent::State::cleared;
    ev.limit = limit_of(m_level);
  } else {
    ev.state = AlarmEvent::State::level;
    ev.limit = step_back ? limit_of(m_level) : limit_of(want);
  }
  m_level = want;
  return ev;
}

} // namespace iot::poll
