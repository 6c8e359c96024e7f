#pragma once
// Time-series charts with cairo: a line per point (the mean of each time
// bucket, with its min-max band), alarm limits as dashed lines, alarm periods
// shaded, time labels on the x axis. SVG, PNG or PDF by file extension.
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"
#include "iot/export/input.hpp"
#include "iot/export/series.hpp"
#include "iot/export/zone.hpp"

struct _cairo; // cairo_t, kept out of this header (cairo is private to libcore)

namespace iot::exporter {

class TextPainter;

struct ChartOptions {
  std::string output;
  std::vector<std::string> devices, points; // filters; empty: all
  std::string title;
  int width = 1200, height = 600;
  TimeRange range; // the time axis; an open end is the data's first or last time
  TimeZone zone;   // of the time labels
};

ExitCode export_chart(RecordInput& input, const ChartOptions& options);
// A usage error for an output name that is not .svg, .png or .pdf, or a bad size.
void check_chart_options(const ChartOptions& options);
// Writes the chart of `set` (already filtered) to options.output.
void write_chart(const TimeSeriesSet& set, const ChartOptions& options);

// Draws `points` of `set` into the rectangle (x, y, w, h) of `cr`, text with
// `text`, the time axis over `range` (open ends: the data's) in `zone`.
void draw_chart(_cairo* cr, TextPainter& text, double x, double y, double w, double h, const TimeSeriesSet& set,
                const std::vector<const PointData*>& points, const std::string& title, const TimeRange& range,
                const TimeZone& zone);

// Frees Pango's font map (call when drawing is over),
// so leak checkers see a clean exit.
void release_font_caches();

// Axis helpers (exposed for tests): a "nice" step near range/target, and the
// time-label step (ms) for a span so that at most about `max_labels` fit.
double nice_step(double range, int target);
std::int64_t time_step(std::int64_t span_ms, int max_labels);
// "08:00" style label for a tick at `ms` given the step, in `zone`.
std::string time_label(std::int64_t ms, std::int64_t step_ms, const TimeZone& zone = {});
// "1h 02m 03s", "4m 05s", "12.5s".
std::string format_duration(std::int64_t ms);

} // namespace iot::exporter
