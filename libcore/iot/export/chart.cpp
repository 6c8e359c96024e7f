#include "iot/export/chart.hpp"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <fmt/format.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/time.hpp"
#include "iot/export/text.hpp"

namespace iot::exporter {

namespace {

struct Rgb {
  double r, g, b;
};
// A qualitative palette whose neighbours are easy to tell apart.
constexpr Rgb k_palette[] = {{0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17}, {0.84, 0.15, 0.16},
                             {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29}, {0.89, 0.47, 0.76}, {0.50, 0.50, 0.50},
                             {0.74, 0.74, 0.13}, {0.09, 0.75, 0.81}};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

enum class ChartFormat { svg, png, pdf };

// The format the output name asks for; a usage error for a bad name or size.
ChartFormat chart_format(const ChartOptions& o) {
  if (o.width < 100 || o.height < 80 || o.width > 20000 || o.height > 20000)
    throw usage_error("--width/--height out of range (100x80 to 20000x20000)");
  if (ends_with(o.output, ".svg")) return ChartFormat::svg;
  if (ends_with(o.output, ".png")) return ChartFormat::png;
  if (ends_with(o.output, ".pdf")) return ChartFormat::pdf;
  throw usage_error("--output must end in .svg, .png or .pdf: " + o.output);
}

std::string format_value(double v, double step) {
  int decimals = step >= 1 ? 0 : std::min(6, static_cast<int>(std::ceil(-std::log10(step))));
  return fmt::format("{:.{}f}", v, decimals);
}

} // namespace

void check_chart_options(const ChartOptions& o) { chart_format(o); }

void release_font_caches() {
  // Pango's font map holds the fonts and fontconfig patterns it used. Only
  // the map is dropped: Pango may keep fonts alive in caches of its own, and
  // cairo_debug_reset_static_data() and FcFini() then abort on a font or
  // cache still in use (both seen in the e2e tests). cairo's caches stay,
  // reachable from static data; fontconfig loses one block while parsing its
  // XML configuration, which tests/lsan.supp suppresses.
  pango_cairo_font_map_set_default(nullptr);
}

double nice_step(double range, int target) {
  if (!(range > 0) || target <= 0) return 1;
  double raw = range / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / mag;
  double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * mag;
}

std::int64_t time_step(std::int64_t span_ms, int max_labels) {
  static constexpr std::int64_t k_steps[] = {
      1,       2,       5,       10,       20,       50,       100,      200,       500,      1000,
      2000,    5000,    10000,   15000,    30000,    60000,    120000,   300000,    600000,   900000,
      1800000, 3600000, 7200000, 10800000, 21600000, 43200000, 86400000, 172800000, 604800000};
  for (auto s : k_steps)
    if (span_ms / s <= max_labels) return s;
  std::int64_t s = 604800000;
  while (span_ms / s > max_labels)
    s *= 2;
  return s;
}

std::string time_label(std::int64_t ms, std::int64_t step, const TimeZone& zone) {
  std::string ts = zone.civil(ms); // 2026-11-21 08:00:00.123
  if (step < 1000) return ts.substr(11, 12);
  if (step < 60000) return ts.substr(11, 8);
  if (step < 86400000) return ts.substr(11, 5);
  return ts.substr(5, 5);
}

std::string format_duration(std::int64_t ms) {
  if (ms < 0) return "-";
  if (ms < 60000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000);
  std::int64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m {:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h {:02}m {:02}s", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}d {:02}h {:02}m", s / 86400, s / 3600 % 24, s / 60 % 60);
}

void draw_chart(cairo_t* cr, TextPainter& text, double x0, double y0, double w, double h, const TimeSeriesSet& set,
                const std::vector<const PointData*>& points, const std::string& title, const TimeRange& range,
                const TimeZone& zone) {
  cairo_save(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, x0, y0, w, h);
  cairo_fill(cr);
  auto text_at = [&](cairo_t*, double x, double y, const std::string& s, double align = 0) {
    text.show(x, y, s, align);
  };

  const double font = std::clamp(h / 40, 8.0, 13.0);
  const double left = x0 + font * 5.5, right = x0 + w - font * 13, top = y0 + font * 3, bottom = y0 + h - font * 3.5;
  text.font(font * 1.2);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  if (!title.empty()) text_at(cr, (left + right) / 2, y0 + font * 1.8, title, 0.5);
  text.font(font);

  // Ranges: time over all data drawn, values over the points and their limits.
  std::int64_t t0 = std::numeric_limits<std::int64_t>::max(), t1 = std::numeric_limits<std::int64_t>::min();
  double v0 = std::numeric_limits<double>::infinity(), v1 = -v0;
  for (const PointData* p : points) {
    if (!p->series.buckets().empty()) {
      t0 = std::min(t0, p->series.buckets().front().t);
      t1 = std::max(t1, p->series.buckets().back().t + p->series.bucket_width());
    }
    if (p->count) {
      v0 = std::min(v0, p->min);
      v1 = std::max(v1, p->max);
    }
    for (const auto& [level, limit] : p->limits) {
      v0 = std::min(v0, limit);
      v1 = std::max(v1, limit);
    }
  }
  if (t0 > t1) {
    t0 = set.first_ms <= set.last_ms ? set.first_ms : 0;
    t1 = set.first_ms <= set.last_ms ? set.last_ms : 1000;
  }
  // The range asked for is the axis, however far the data reach into it.
  if (range.from_ms) t0 = *range.from_ms;
  if (range.to_ms) t1 = *range.to_ms;
  if (t1 <= t0) t1 = t0 + 1000;
  if (!(v0 <= v1)) v0 = 0, v1 = 1;
  if (v1 - v0 < 1e-9) v0 -= 1, v1 += 1;
  double pad = (v1 - v0) * 0.05;
  // Values that never go below zero (gas levels, counts) keep zero as the floor.
  bool non_negative = v0 >= 0;
  double vstep = nice_step(v1 - v0 + 2 * pad, 6);
  v0 = std::floor((v0 - pad) / vstep) * vstep;
  if (non_negative && v0 < 0) v0 = 0;
  v1 = std::ceil((v1 + pad) / vstep) * vstep;
  auto X = [&](std::int64_t t) {
    return left + (right - left) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
  };
  auto Y = [&](double v) { return bottom - (bottom - top) * (v - v0) / (v1 - v0); };

  // Alarm periods, shaded across the plot (under everything else).
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_clip(cr);
  for (const auto& a : set.alarms) {
    bool shown = std::any_of(points.begin(), points.end(),
                             [&](const PointData* p) { return p->device == a.device && p->point == a.point; });
    if (!shown) continue;
    double xa = X(a.raised), xb = X(a.cleared < 0 ? t1 : a.cleared);
    bool severe = a.level.size() >= 2;
    cairo_set_source_rgba(cr, 0.90, 0.15, 0.10, severe ? 0.16 : 0.09);
    cairo_rectangle(cr, xa, top, std::max(1.0, xb - xa), bottom - top);
    cairo_fill(cr);
  }
  cairo_reset_clip(cr);

  // Grid and axes.
  cairo_set_line_width(cr, 0.5);
  for (double v = v0; v <= v1 + vstep / 2; v += vstep) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, left, Y(v));
    cairo_line_to(cr, right, Y(v));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    text_at(cr, left - font * 0.5, Y(v) + font * 0.35, format_value(v, vstep), 1);
  }
  std::int64_t tstep = time_step(t1 - t0, std::max(2, static_cast<int>((right - left) / (font * 7))));
  // Ticks on whole local hours and days: aligned in the zone shown.
  std::int64_t first_tick = zone.floor(t0, tstep);
  if (first_tick < t0) first_tick += tstep;
  for (std::int64_t t = first_tick; t <= t1; t += tstep) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, X(t), top);
    cairo_line_to(cr, X(t), bottom);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    text_at(cr, X(t), bottom + font * 1.3, time_label(t, tstep, zone), 0.5);
  }
  // The date range under the axis: the time labels alone do not say which day.
  text_at(cr, (left + right) / 2, bottom + font * 2.8,
          zone.civil(t0, false) + "  to  " + zone.civil(t1, false) + " " + zone.label(t0), 0.5);
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  cairo_set_line_width(cr, 1);
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_stroke(cr);

  // Series: min-max band, mean line, then limit lines; a legend on the right.
  cairo_rectangle(cr, left, top, right - left, bottom - top);
  cairo_clip(cr);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Rgb c = k_palette[i % std::size(k_palette)];
    const auto& b = points[i]->series.buckets();
    if (b.empty()) continue;
    const std::int64_t half = points[i]->series.bucket_width() / 2;
    if (points[i]->series.bucket_width() > 1) {
      cairo_set_source_rgba(cr, c.r, c.g, c.b, 0.18);
      for (std::size_t k = 0; k < b.size(); ++k)
        cairo_line_to(cr, X(b[k].t + half), Y(b[k].max));
      for (std::size_t k = b.size(); k-- > 0;)
        cairo_line_to(cr, X(b[k].t + half), Y(b[k].min));
      cairo_close_path(cr);
      cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_set_line_width(cr, 1.4);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (const auto& bk : b)
      cairo_line_to(cr, X(bk.t + half), Y(bk.mean()));
    cairo_stroke(cr);
  }
  const double dashes[] = {6, 4};
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Rgb c = k_palette[i % std::size(k_palette)];
    for (const auto& [level, limit] : points[i]->limits) {
      cairo_set_source_rgb(cr, c.r * 0.7, c.g * 0.7, c.b * 0.7);
      cairo_set_line_width(cr, 1.2);
      cairo_set_dash(cr, dashes, 2, 0);
      cairo_move_to(cr, left, Y(limit));
      cairo_line_to(cr, right, Y(limit));
      cairo_stroke(cr);
      cairo_set_dash(cr, nullptr, 0, 0);
      text_at(cr, right - font * 0.3, Y(limit) - font * 0.3, level + " " + format_value(limit, vstep / 10), 1);
    }
  }
  cairo_reset_clip(cr);
  double ly = top + font;
  for (std::size_t i = 0; i < points.size(); ++i, ly += font * 1.5) {
    if (ly > bottom - font * 3 && i + 1 < points.size()) {
      // No room for the rest: say how many lines the legend leaves out.
      cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
      text_at(cr, right + font * 3, ly, fmt::format("+ {} more", points.size() - i));
      ly += font * 1.5;
      break;
    }
    const Rgb c = k_palette[i % std::size(k_palette)];
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
    cairo_rectangle(cr, right + font, ly - font * 0.7, font * 1.6, font * 0.6);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    std::string label = points[i]->device + "/" + points[i]->point;
    if (!points[i]->uom.empty()) label += " (" + points[i]->uom + ")";
    // Cut what does not fit in the legend (wide CJK names ran off the edge).
    text.show(right + font * 3, ly, label, 0, x0 + w - (right + font * 3) - font * 0.5);
  }
  bool any_alarm = !set.alarms.empty();
  if (any_alarm && ly + font * 1.5 < bottom) {
    ly += font * 0.5;
    cairo_set_source_rgba(cr, 0.90, 0.15, 0.10, 0.25);
    cairo_rectangle(cr, right + font, ly - font * 0.8, font * 1.6, font);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text_at(cr, right + font * 3, ly, "alarm active");
  }
  cairo_restore(cr);
}

ExitCode export_chart(RecordInput& input, const ChartOptions& o) {
  check_chart_options(o);

  auto wanted = [](const std::vector<std::string>& filter, std::string_view v) {
    return filter.empty() || std::find(filter.begin(), filter.end(), v) != filter.end();
  };
  const TimeSeriesSet set = read_series(
      input,
      [&](const Row& row) {
        return row.kind != RecordKind::status && wanted(o.devices, row.device) && wanted(o.points, row.point);
      },
      o.range);
  write_chart(set, o);
  return input.exit_code();
}

void write_chart(const TimeSeriesSet& set, const ChartOptions& o) {
  const ChartFormat format = chart_format(o);
  std::vector<const PointData*> points;
  for (const auto& [key, p] : set.points)
    if (p.count > 0 || !p.limits.empty()) points.push_back(&p);

  // Declared first so it runs last: frees cairo's font caches (and the
  // fontconfig patterns they hold) so leak checkers see a clean exit.
  struct ResetCairo {
    ~ResetCairo() { release_font_caches(); }
  } reset_cairo;
  cairo_surface_t* surface = nullptr;
  switch (format) {
  case ChartFormat::svg: surface = cairo_svg_surface_create(o.output.c_str(), o.width, o.height); break;
  case ChartFormat::pdf: surface = cairo_pdf_surface_create(o.output.c_str(), o.width, o.height); break;
  case ChartFormat::png: surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, o.width, o.height); break;
  }
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> guard(surface, cairo_surface_destroy);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
    throw io_error("cannot create " + o.output + ": " + cairo_status_to_string(cairo_surface_status(surface)));
  cairo_t* cr = cairo_create(surface);
  std::string title = o.title;
  if (title.empty()) title = points.size() == 1 ? points[0]->device + "/" + points[0]->point : "Readings";
  {
    TextPainter text(cr);
    draw_chart(cr, text, 0, 0, o.width, o.height, set, points, title, o.range, o.zone);
  }
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  if (st != CAIRO_STATUS_SUCCESS) throw io_error(std::string("chart: ") + cairo_status_to_string(st));
  if (format == ChartFormat::png) {
    st = cairo_surface_write_to_png(surface, o.output.c_str());
    if (st != CAIRO_STATUS_SUCCESS) throw io_error("cannot write " + o.output + ": " + cairo_status_to_string(st));
  }
  cairo_surface_finish(surface);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
    throw io_error("cannot write " + o.output + ": " + cairo_status_to_string(cairo_surface_status(surface)));
  if (points.empty()) log::warn("no numeric readings to draw");
}

} // namespace iot::exporter
