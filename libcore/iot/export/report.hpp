#pragma once
// A printable PDF report (A4): the site, the period covered (the range asked
// for), when it was made, the devices, min/max/mean per point, the alarm table
// (raised, cleared, duration, peak; alarms active when the period began are
// carried in), the operations (write records, 操作记录) and a chart per device;
// "page N of M" on every page. Memory is bounded: series are down-sampled
// (series.hpp) and the alarm and operation tables keep their first
// TimeSeriesSet::k_max_alarm_periods / k_max_operations rows.
#include <string>

#include "iot/core/exit_code.hpp"
#include "iot/export/input.hpp"
#include "iot/export/series.hpp"
#include "iot/export/zone.hpp"

namespace iot::exporter {

struct ReportOptions {
  std::string output;
  std::string title = "Site report";
  std::string site;               // empty: the "site" field of the records, if any
  TimeRange range;                // the period; an open end is the data's first or last time
  TimeZone zone;                  // of every time shown
  std::int64_t generated_ms = -1; // when the report is made; -1: now
};

ExitCode export_report(RecordInput& input, const ReportOptions& options);
// Writes the report of `set` (already limited to the range) to options.output.
void write_report(const TimeSeriesSet& set, const ReportOptions& options);

} // namespace iot::exporter
