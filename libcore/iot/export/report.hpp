#pragma once
// A printable PDF report (A4): the period covered, the devices, min/max/mean
// per point, the alarm table (raised, cleared, duration, peak) and a chart per
// device. Memory is bounded: series are down-sampled (series.hpp) and the alarm
// table keeps the first TimeSeriesSet::k_max_alarm_periods periods.
#include <string>

#include "iot/core/exit_code.hpp"
#include "iot/export/input.hpp"

namespace iot::exporter {

ExitCode export_report(RecordInput& input, const std::string& output, const std::string& title);

} // namespace iot::exporter
