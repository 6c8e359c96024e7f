#pragma once
// The alarm engine of a point (the seed platform's 报警类型 HH / LL / HL with
// 缓冲值 deadband and 报警延时 delay, and its third kind, WINDOW), independent of
// where values come from.
//
//   HH      level H at value >= high, HH at value >= high_high (rising gas levels)
//   LL      level L at value <= low,  LL at value <= low_low   (oxygen deficiency)
//   HL      level H at value >= high, L at value <= low        (one limit each side)
//   WINDOW  level H while min <= value <= max, L below min, none above max: detectors
//           whose reading inside a band is the alarm (seed 2.3 #10, 最小值最大值范围内高报,
//           低于最小值低报, 高于最大值正常). H holds from min - deadband to max + deadband;
//           L holds below min + deadband.
//
// Deadband: a level is kept while the value stays within `deadband` of its limit
// (H holds while value >= high - deadband), so a value wandering around a limit
// neither clears nor re-raises the alarm.
// Delay: a raise, or a change to another level that is not a plain step back,
// must see its condition hold for `delay` before it is reported; a shorter
// excursion raises nothing. Stepping back (HH -> H, clearing) takes effect at
// once, the deadband being the protection there.
#include <chrono>
#include <optional>
#include <string_view>

#include "iot/config/site.hpp"

namespace iot::poll {

// The limits as a site file's [point.alarm] table gives them.
using AlarmLimits = config::AlarmLimits;
using AlarmType = AlarmLimits::Type;
using config::alarm_type_name; // "HH", "LL", "HL", "WINDOW"

enum class AlarmLevel { none, h, hh, l, ll };
std::string_view alarm_level_name(AlarmLevel level); // "H", "HH", "L", "LL", "" for none

struct AlarmEvent {
  enum class State { raised, level, cleared };
  State state = State::raised;
  AlarmLevel level = AlarmLevel::none;    // the new level (none when cleared)
  AlarmLevel previous = AlarmLevel::none; // the level before
  double value = 0;
  double limit = 0; // the limit crossed: of the new level, or of the level left
};
std::string_view alarm_state_name(AlarmEvent::State state); // "raised", "level", "cleared"

class AlarmEngine {
public:
  using Micros = std::chrono::microseconds;
  explicit AlarmEngine(AlarmLimits limits) : m_limits(limits) {}

  // Feeds one value observed at time `t` (any monotonic microsecond clock); returns the
  // event it causes, if any. NaN values are ignored (the state is kept).
  std::optional<AlarmEvent> update(double value, Micros t);

  AlarmLevel level() const { return m_level; }
  const AlarmLimits& limits() const { return m_limits; }
  // The level `value` calls for, given the present level (deadband applied).
  AlarmLevel target(double value) const;

private:
  double limit_of(AlarmLevel level) const;
  AlarmLevel window_target(double value) const;
  double window_limit(AlarmLevel from, AlarmLevel to) const;

  AlarmLimits m_limits;
  AlarmLevel m_level = AlarmLevel::none;
  std::optional<Micros> m_pending_since; // when the pending change was first seen
};

} // namespace iot::poll
