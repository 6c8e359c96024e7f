#pragma once
// Which readings of a point are written: the seed's storage period (存储周期)
// and report by exception.
//   - no storage_period, no report_deadband: every reading;
//   - storage_period P: at most one reading every P;
//   - report_deadband D: only when the value moved by more than D from the last
//     one written (non-numeric values: when they differ);
//   - both: a reading once P has passed and the value moved by more than D.
// Always written, whatever the rules: the first reading, a change of quality
// (ok -> timeout ...) and a change of the point's alarm level.
#include <chrono>
#include <optional>
#include <string>

namespace iot::poll {

struct ReportRules {
  std::optional<std::chrono::microseconds> storage_period;
  std::optional<double> report_deadband;
};

class ReportFilter {
public:
  using Micros = std::chrono::microseconds;
  explicit ReportFilter(ReportRules rules = {}) : m_rules(rules) {}

  // Decides about a reading at time `t`. `value` is the numeric value (nullopt when
  // not a number; `text` then compares it), `quality` and `alarm` identify state
  // changes. Returns true when the reading is to be written (and remembers it).
  bool admit(Micros t, std::optional<double> value, const std::string& text, int quality, int alarm);

  // True without rules: then every reading is admitted and admit() need not be asked.
  bool keeps_all() const { return !m_rules.storage_period && !m_rules.report_deadband; }

private:
  ReportRules m_rules;
  bool m_any = false;
  Micros m_last_t{0};
  std::optional<double> m_last_value;
  std::string m_last_text;
  int m_last_quality = -1;
  int m_last_alarm = -1;
};

} // namespace iot::poll
