#include "iot/poll/report_filter.hpp"

#include <cmath>

namespace iot::poll {

bool ReportFilter::admit(Micros t, std::optional<double> value, const std::string& text, int quality, int alarm) {
  bool write = !m_any || quality != m_last_quality || alarm != m_last_alarm;
  if (!write) {
    bool period_ok = !m_rules.storage_period || t - m_last_t >= *m_rules.storage_period;
    bool moved = true;
    if (m_rules.report_deadband) {
      if (value && m_last_value)
        moved = std::fabs(*value - *m_last_value) > *m_rules.report_deadband;
      else
        moved = value.has_value() != m_last_value.has_value() || text != m_last_text;
    }
    write = period_ok && moved;
  }
  if (write) {
    m_any = true;
    m_last_t = t;
    m_last_value = value;
    m_last_text = text;
    m_last_quality = quality;
    m_last_alarm = alarm;
  }
  return write;
}

}  // namespace iot::poll
