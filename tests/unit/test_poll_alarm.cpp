#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "iot/poll/alarm.hpp"

using namespace iot::poll;
using std::chrono::seconds;

namespace {
struct Step {
  int t_s; // time of the sample, seconds
  double value;
  std::string expect; // "" = no event; else "raised H 25", "level HH 50", "cleared - 25"
};

std::string describe(const std::optional<AlarmEvent>& ev) {
  if (!ev) return "";
  std::string level = ev->level == AlarmLevel::none ? "-" : std::string(alarm_level_name(ev->level));
  char limit[32];
  std::snprintf(limit, sizeof limit, "%g", ev->limit);
  return std::string(alarm_state_name(ev->state)) + " " + level + " " + limit;
}

void run(const AlarmLimits& limits, const std::vector<Step>& steps) {
  AlarmEngine engine(limits);
  for (const auto& s : steps) {
    INFO("t=" << s.t_s << "s value=" << s.value);
    CHECK(describe(engine.update(s.value, seconds(s.t_s))) == s.expect);
  }
}
} // namespace

TEST_CASE("iot::poll::AlarmEngine HH with deadband, no delay") {
  AlarmLimits l{AlarmType::hh, 25.0, 50.0, {}, {}, 2.0, seconds(0), {}, {}};
  run(l, {
             {0, 10, ""},
             {1, 24.9, ""},
             {2, 25, "raised H 25"},
             {3, 23.5, ""}, // inside the deadband: holds
             {4, 49, ""},
             {5, 50, "level HH 50"},
             {6, 48.5, ""},           // HH holds down to 48
             {7, 47.9, "level H 50"}, // back past high_high - deadband
             {8, 23, ""},             // 23 = 25 - 2: still within the band
             {9, 22.9, "cleared - 25"},
             {10, 60, "raised HH 50"}, // straight to HH
             {11, 0, "cleared - 50"},
         });
}

TEST_CASE("iot::poll::AlarmEngine HH with delay: fluctuation raises nothing") {
  AlarmLimits l{AlarmType::hh, 25.0, 50.0, {}, {}, 1.0, seconds(5), {}, {}};
  run(l, {
             {0, 30, ""}, // condition starts
             {3, 30, ""},
             {4, 10, ""}, // gone before the delay: nothing
             {5, 30, ""}, // starts again at 5
             {9, 30, ""},
             {10, 30, "raised H 25"},
             {11, 55, ""}, // HH pending from 11
             {15, 55, ""},
             {16, 56, "level HH 50"},
             {17, 20, "cleared - 50"}, // clearing is immediate
         });
}

TEST_CASE("iot::poll::AlarmEngine LL (oxygen deficiency)") {
  AlarmLimits l{AlarmType::ll, {}, {}, 19.5, 18.0, 0.5, seconds(2), {}, {}};
  run(l, {
             {0, 20.9, ""},
             {1, 19.5, ""}, // pending since 1
             {2, 19.4, ""},
             {3, 19.0, "raised L 19.5"},
             {4, 19.9, ""}, // within 0.5 of 19.5
             {5, 17.5, ""}, // LL pending
             {6, 17.9, ""},
             {7, 17.0, "level LL 18"},
             {8, 18.4, ""},
             {9, 18.6, "level L 18"},
             {10, 20.1, "cleared - 19.5"},
         });
}

TEST_CASE("iot::poll::AlarmEngine HL (one limit each side)") {
  AlarmLimits l{AlarmType::hl, 80.0, {}, 20.0, {}, 5.0, seconds(0), {}, {}};
  run(l, {
             {0, 50, ""},
             {1, 80, "raised H 80"},
             {2, 76, ""},
             {3, 74, "cleared - 80"},
             {4, 20, "raised L 20"},
             {5, 25, ""},
             {6, 90, "level H 80"}, // jump from one side to the other
             {7, 50, "cleared - 80"},
         });
}

namespace {
AlarmLimits window(double min, double max, double deadband, int delay_s) {
  AlarmLimits l;
  l.type = AlarmType::window;
  l.min = min;
  l.max = max;
  l.deadband = deadband;
  l.delay = seconds(delay_s);
  return l;
}
} // namespace

// The seed's third type: H inside [min, max], L below min, normal above max.
TEST_CASE("iot::poll::AlarmEngine WINDOW regions, no deadband") {
  run(window(10, 50, 0, 0), {
                                {0, 60, ""},               // above max: normal
                                {1, 50, "raised H 50"},    // max itself is inside
                                {2, 30, ""},               // still inside
                                {3, 10, ""},               // min itself is inside
                                {4, 9.9, "level L 10"},    // below min
                                {5, 5, ""},                // still below
                                {6, 10, "level H 10"},     // back up into the window
                                {7, 50.1, "cleared - 50"}, // above max: normal again
                                {8, 0, "raised L 10"},     // from normal straight below min
                                {9, 70, "cleared - 50"},   // and straight over the window
                            });
}

TEST_CASE("iot::poll::AlarmEngine WINDOW deadband at both edges") {
  run(window(10, 50, 2, 0), {
                                {0, 40, "raised H 50"}, // the first value may start inside
                                {1, 51.5, ""},          // H holds up to max + 2
                                {2, 52, ""},
                                {3, 52.1, "cleared - 50"},
                                {4, 50.5, ""}, // normal needs no band: above max is normal
                                {5, 50, "raised H 50"},
                                {6, 8.5, ""}, // H holds down to min - 2
                                {7, 7.9, "level L 10"},
                                {8, 11.5, ""}, // L holds below min + 2
                                {9, 11.9, ""},
                                {10, 12, "level H 10"},
                            });
}

TEST_CASE("iot::poll::AlarmEngine WINDOW delay: short excursions raise nothing, clearing is at once") {
  run(window(10, 50, 0, 5), {
                                {0, 80, ""},
                                {1, 30, ""}, // inside: pending since 1
                                {3, 90, ""}, // left before the delay: nothing
                                {4, 30, ""}, // pending again since 4
                                {8, 30, ""},
                                {9, 30, "raised H 50"},
                                {10, 5, ""}, // below min: a change of side waits too
                                {14, 5, ""},
                                {15, 5, "level L 10"},
                                {16, 90, "cleared - 50"}, // back to normal: no delay
                            });
}

TEST_CASE("iot::poll::AlarmEngine WINDOW is named WINDOW") { CHECK(alarm_type_name(AlarmType::window) == "WINDOW"); }

TEST_CASE("iot::poll::AlarmEngine ignores NaN") {
  AlarmEngine e({AlarmType::hh, 1.0, {}, {}, {}, 0, seconds(0), {}, {}});
  CHECK(e.update(2, seconds(0)).has_value());
  CHECK_FALSE(e.update(std::nan(""), seconds(1)).has_value());
  CHECK(e.level() == AlarmLevel::h);
}
