#pragma once
// Time-series charts with cairo: a line per point (the mean of each time
// bucket, with its min-max band), alarm limits as dashed lines, alarm periods
// shaded, time labels on the x axis. SVG, PNG or PDF by file extension.
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"
#include "iot/export/input.hpp"
#include "iot/export/series.hpp"

struct _cairo; // cairo_t, kept out of this header (cairo is private to libcore)

namespace iot::exporter {

struct ChartOptions {
  std::string output;
  std::vector<std::string> devices, points; // filters; empty: all
  std::string title;
  int width = 1200, height = 600;
};

ExitCode export_chart(RecordInput& input, const ChartOptions& options);

// Draws `points` of `set` into the rectangle (x, y, w, h) of `cr`.
void draw_chart(_cairo* cr, double x, double y, double w, double h, const TimeSeriesSet& set,
                const std::vector<const PointData*>& points, const std::string& title);

// Frees the font caches of cairo and fontconfig (call when drawing is over),
// so leak checkers see a clean exit.
void release_font_caches();

// Axis helpers (exposed for tests): a "nice" step near range/target, and the
// time-label step (ms) for a span so that at most about `max_labels` fit.
double nice_step(double range, int target);
std::int64_t time_step(std::int64_t span_ms, int max_labels);
// "2026-11-21 08:00" style label for a tick at `ms` given the step.
std::string time_label(std::int64_t ms, std::int64_t step_ms);
// "1h 02m 03s", "4m 05s", "12.5s".
std::string format_duration(std::int64_t ms);

} // namespace iot::exporter
