#include "iot/export/report.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "iot/core/error.hpp"
#include "iot/core/time.hpp"
#include "iot/export/chart.hpp"
#include "iot/export/text.hpp"

namespace iot::exporter {

namespace {

constexpr double k_page_w = 595.28, k_page_h = 841.89; // A4 in PostScript points (ISO 216)
constexpr double k_margin = 42;

std::string num(double v) {
  if (!std::isfinite(v)) return "-";
  if (std::fabs(v) >= 1e6 || (v != 0 && std::fabs(v) < 1e-3)) return fmt::format("{:.4g}", v);
  std::string s = fmt::format("{:.3f}", v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

// Lays out text lines and tables top-down, starting new pages as needed. The
// footer of each page says "page N of M": the report is laid out twice, the
// first time only to count the pages.
class Writer {
public:
  Writer(cairo_t* cr, std::string footer, int total_pages)
      : m_cr(cr), m_text(cr), m_footer(std::move(footer)), m_total(total_pages) {
    start_page();
  }

  TextPainter& text() { return m_text; }
  int pages() const { return m_page; }

  void heading(const std::string& s, double size = 14) {
    need(size * 2.2);
    m_y += size * 0.6;
    m_text.font(size, true);
    m_text.show(k_margin, m_y + size, s);
    m_y += size * 1.6;
  }

  void line(const std::string& s, double size = 10) {
    need(size * 1.5);
    m_text.font(size, false);
    m_text.show(k_margin, m_y + size, s, 0, k_page_w - 2 * k_margin);
    m_y += size * 1.45;
  }

  // A table with column titles repeated on each page. A cell wider than its
  // column is cut with an ellipsis rather than drawn over the next one.
  void table(const std::vector<std::string>& titles, const std::vector<double>& widths,
             const std::vector<std::vector<std::string>>& rows, double size = 8.5) {
    const double gap = 4;
    auto header = [&] {
      need(size * 3);
      m_text.font(size, true);
      double x = k_margin;
      for (std::size_t i = 0; i < titles.size(); ++i) {
        m_text.show(x, m_y + size, titles[i], 0, widths[i] - gap);
        x += widths[i];
      }
      m_y += size * 1.5;
      cairo_set_line_width(m_cr, 0.6);
      cairo_move_to(m_cr, k_margin, m_y - size * 0.3);
      cairo_line_to(m_cr, k_page_w - k_margin, m_y - size * 0.3);
      cairo_stroke(m_cr);
    };
    header();
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (m_y + size * 1.4 > k_page_h - k_margin) {
        new_page();
        header();
      }
      if (r % 2 == 1) {
        cairo_set_source_rgb(m_cr, 0.95, 0.95, 0.95);
        cairo_rectangle(m_cr, k_margin, m_y - size * 0.2, k_page_w - 2 * k_margin, size * 1.4);
        cairo_fill(m_cr);
        cairo_set_source_rgb(m_cr, 0, 0, 0);
      }
      m_text.font(size, false);
      double x = k_margin;
      for (std::size_t i = 0; i < rows[r].size() && i < widths.size(); ++i) {
        m_text.show(x, m_y + size, rows[r][i], 0, widths[i] - gap);
        x += widths[i];
      }
      m_y += size * 1.4;
    }
    m_y += size;
  }

  // Reserves a block of `h` points (on a new page if needed) and returns its top.
  double block(double h) {
    need(h);
    double y = m_y;
    m_y += h;
    return y;
  }

  void new_page() {
    cairo_show_page(m_cr);
    start_page();
  }

private:
  void need(double h) {
    if (m_y + h > k_page_h - k_margin) new_page();
  }
  void start_page() {
    ++m_page;
    m_y = k_margin;
    m_text.font(7.5, false);
    cairo_set_source_rgb(m_cr, 0.4, 0.4, 0.4);
    std::string p = m_total > 0 ? fmt::format("page {} of {}", m_page, m_total) : fmt::format("page {}", m_page);
    double pw = m_text.width(p);
    m_text.show(k_margin, k_page_h - k_margin / 2, m_footer, 0, k_page_w - 2 * k_margin - pw - 12);
    m_text.show(k_page_w - k_margin, k_page_h - k_margin / 2, p, 1);
    cairo_set_source_rgb(m_cr, 0, 0, 0);
  }

  cairo_t* m_cr;
  TextPainter m_text;
  std::string m_footer;
  int m_total;
  double m_y = 0;
  int m_page = 0;
};

// Draws the whole report on `cr`; returns the number of pages.
int render(cairo_t* cr, const TimeSeriesSet& set, const ReportOptions& o, int total_pages) {
  const TimeZone& zone = o.zone;
  auto when = [&](std::int64_t ms) { return zone.civil(ms); };
  const std::string site = o.site.empty() ? set.site : o.site;
  const bool has_data = set.first_ms <= set.last_ms;
  const std::int64_t from = o.range.from_ms ? *o.range.from_ms : has_data ? set.first_ms : 0;
  const std::int64_t to = o.range.to_ms ? *o.range.to_ms : has_data ? set.last_ms : from;
  const bool has_period = o.range.from_ms || o.range.to_ms || has_data;
  const std::string period = has_period ? when(from) + "  to  " + when(to) + "  " + zone.label(from) : "no records";
  const std::int64_t generated = o.generated_ms >= 0 ? o.generated_ms : epoch_ms(now());

  std::string footer = o.title;
  if (!site.empty()) footer += " - " + site;
  footer += " - " + (has_period ? when(from).substr(0, 16) + " to " + when(to).substr(0, 16) : period);
  Writer w(cr, footer, total_pages);
  w.heading(o.title, 18);
  if (!site.empty()) w.line("Site: " + site);
  w.line("Period: " + period);
  if (has_period) w.line("Duration: " + format_duration(to - from));
  w.line("Generated: " + zone.civil(generated, false) + "  " + zone.label(generated));
  w.line(fmt::format("Records: {} readings, {} alarm records, {} status records, {} operation records", set.readings,
                     set.alarm_records, set.status_records, set.write_records));

  w.heading("Devices");
  std::vector<std::vector<std::string>> rows;
  std::map<std::string, std::size_t> points_per_device;
  for (const auto& [key, p] : set.points)
    ++points_per_device[key.first];
  for (const auto& [dev, n] : points_per_device) {
    auto r = set.device_readings.find(dev);
    auto off = set.device_offline.find(dev);
    rows.push_back({dev, std::to_string(n), std::to_string(r == set.device_readings.end() ? 0 : r->second),
                    std::to_string(off == set.device_offline.end() ? 0 : off->second)});
  }
  w.table({"device", "points", "readings", "offline events"}, {150, 80, 100, 100}, rows);

  w.heading("Points");
  rows.clear();
  for (const auto& [key, p] : set.points) {
    rows.push_back({p.device, p.point, p.uom, std::to_string(p.count), p.count ? num(p.min) : "-",
                    p.count ? num(p.max) : "-", p.count ? num(p.sum / static_cast<double>(p.count)) : "-"});
  }
  w.table({"device", "point", "unit", "readings", "min", "max", "mean"}, {95, 85, 50, 65, 70, 70, 70}, rows);

  w.heading("Alarms");
  if (set.alarms.empty()) {
    w.line("No alarms in this period.");
  } else {
    rows.clear();
    bool carried = false;
    for (const auto& a : set.alarms) {
      carried = carried || a.carried;
      // An alarm still active is timed to the end of the period.
      std::int64_t end = a.cleared < 0 ? std::max(to, a.raised) : a.cleared;
      rows.push_back({a.device, a.point, a.level, when(a.raised) + (a.carried ? " *" : ""),
                      a.cleared < 0 ? "active" : when(a.cleared), format_duration(end - a.raised), num(a.peak),
                      num(a.limit)});
    }
    w.table({"device", "point", "level", "raised", "cleared", "duration", "peak", "limit"},
            {56, 50, 28, 122, 105, 60, 40, 40}, rows, 7.5);
    if (carried) w.line("* raised before the period began, still active when it began", 8);
    if (set.alarms_dropped > 0) w.line(fmt::format("... and {} more alarm periods not listed.", set.alarms_dropped));
  }

  w.heading("Operations");
  if (set.operations.empty()) {
    w.line("No operations in this period.");
  } else {
    rows.clear();
    for (const auto& op : set.operations)
      rows.push_back({when(op.ts), op.device, op.point, op.addr, op.value, op.result, op.cause});
    w.table({"time", "device", "point", "address", "value", "result", "cause"}, {106, 56, 56, 38, 34, 116, 105}, rows,
            7.5);
    if (set.operations_dropped > 0)
      w.line(fmt::format("... and {} more operations not listed.", set.operations_dropped));
  }

  // A chart per device, two to a page.
  std::map<std::string, std::vector<const PointData*>> by_device;
  for (const auto& [key, p] : set.points)
    if (p.count > 0) by_device[key.first].push_back(&p);
  if (!by_device.empty()) {
    w.new_page();
    w.heading("Charts");
    TimeRange axis{from, to};
    if (!has_period) axis = {};
    for (const auto& [dev, pts] : by_device) {
      const double h = 340;
      double y = w.block(h + 10);
      draw_chart(cr, w.text(), k_margin, y, k_page_w - 2 * k_margin, h, set, pts, dev, axis, zone);
    }
  }
  return w.pages();
}

cairo_status_t discard(void*, const unsigned char*, unsigned int) { return CAIRO_STATUS_SUCCESS; }

} // namespace

ExitCode export_report(RecordInput& input, const ReportOptions& o) {
  const TimeSeriesSet set = read_series(input, {}, o.range, true);
  write_report(set, o);
  return input.exit_code();
}

void write_report(const TimeSeriesSet& set, const ReportOptions& options) {
  ReportOptions o = options;
  if (o.generated_ms < 0) o.generated_ms = epoch_ms(now()); // the same time in both passes
  // Declared first so it runs last: frees the font caches (and the fontconfig
  // patterns they hold) so leak checkers see a clean exit.
  struct ResetCairo {
    ~ResetCairo() { release_font_caches(); }
  } reset_cairo;

  // First pass: count the pages (the output is thrown away).
  int pages = 0;
  {
    cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(discard, nullptr, k_page_w, k_page_h);
    std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> guard(surface, cairo_surface_destroy);
    cairo_t* cr = cairo_create(surface);
    pages = render(cr, set, o, 0);
    cairo_destroy(cr);
  }

  cairo_surface_t* surface = cairo_pdf_surface_create(o.output.c_str(), k_page_w, k_page_h);
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> guard(surface, cairo_surface_destroy);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
    throw io_error("cannot create " + o.output + ": " + cairo_status_to_string(cairo_surface_status(surface)));
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, o.title.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "iot-export " IOT_VERSION);
  cairo_t* cr = cairo_create(surface);
  render(cr, set, o, pages);
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  if (st != CAIRO_STATUS_SUCCESS) throw io_error(std::string("report: ") + cairo_status_to_string(st));
  cairo_surface_finish(surface);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
    throw io_error("cannot write " + o.output + ": " + cairo_status_to_string(cairo_surface_status(surface)));
}

} // namespace iot::exporter
