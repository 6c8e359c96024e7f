#include "iot/export/report.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "iot/core/error.hpp"
#include "iot/export/chart.hpp"
#include "iot/export/series.hpp"

namespace iot::exporter {

namespace {

constexpr double k_page_w = 595.28, k_page_h = 841.89; // A4 in PostScript points (ISO 216)
constexpr double k_margin = 42;

std::string when(std::int64_t ms) {
  std::string s = format_ts(from_ms(ms));
  return s.substr(0, 10) + " " + s.substr(11, 12);
}

std::string num(double v) {
  if (!std::isfinite(v)) return "-";
  if (std::fabs(v) >= 1e6 || (v != 0 && std::fabs(v) < 1e-3)) return fmt::format("{:.4g}", v);
  std::string s = fmt::format("{:.3f}", v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

// Lays out text lines and tables top-down, starting new pages as needed.
class Writer {
public:
  Writer(cairo_t* cr, std::string footer) : m_cr(cr), m_footer(std::move(footer)) {
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    start_page();
  }

  void heading(const std::string& s, double size = 14) {
    need(size * 2.2);
    m_y += size * 0.6;
    font(size, true);
    show(k_margin, m_y + size, s);
    m_y += size * 1.6;
  }

  void line(const std::string& s, double size = 10) {
    need(size * 1.5);
    font(size, false);
    show(k_margin, m_y + size, s);
    m_y += size * 1.45;
  }

  // A table with column titles repeated on each page.
  void table(const std::vector<std::string>& titles, const std::vector<double>& widths,
             const std::vector<std::vector<std::string>>& rows, double size = 8.5) {
    auto header = [&] {
      need(size * 3);
      font(size, true);
      double x = k_margin;
      for (std::size_t i = 0; i < titles.size(); ++i) {
        show(x, m_y + size, titles[i]);
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
      font(size, false);
      double x = k_margin;
      for (std::size_t i = 0; i < rows[r].size() && i < widths.size(); ++i) {
        show(x, m_y + size, rows[r][i]);
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
    font(7.5, false);
    cairo_set_source_rgb(m_cr, 0.4, 0.4, 0.4);
    show(k_margin, k_page_h - k_margin / 2, m_footer);
    std::string p = fmt::format("page {}", m_page);
    cairo_text_extents_t e;
    cairo_text_extents(m_cr, p.c_str(), &e);
    show(k_page_w - k_margin - e.x_advance, k_page_h - k_margin / 2, p);
    cairo_set_source_rgb(m_cr, 0, 0, 0);
  }
  void font(double size, bool bold) {
    cairo_select_font_face(m_cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(m_cr, size);
  }
  void show(double x, double y, const std::string& s) {
    cairo_move_to(m_cr, x, y);
    cairo_show_text(m_cr, s.c_str());
  }

  cairo_t* m_cr;
  std::string m_footer;
  double m_y = 0;
  int m_page = 0;
};

} // namespace

ExitCode export_report(RecordInput& input, const std::string& output, const std::string& title) {
  const TimeSeriesSet set = read_series(input);

  // Declared first so it runs last: frees cairo's font caches (and the
  // fontconfig patterns they hold) so leak checkers see a clean exit.
  struct ResetCairo {
    ~ResetCairo() { release_font_caches(); }
  } reset_cairo;
  cairo_surface_t* surface = cairo_pdf_surface_create(output.c_str(), k_page_w, k_page_h);
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> guard(surface, cairo_surface_destroy);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
    throw io_error("cannot create " + output + ": " + cairo_status_to_string(cairo_surface_status(surface)));
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "iot-export " IOT_VERSION);
  cairo_t* cr = cairo_create(surface);
  {
    bool empty = set.first_ms > set.last_ms;
    std::string period = empty ? "no records" : when(set.first_ms) + "  to  " + when(set.last_ms) + " UTC";
    Writer w(cr, title + " - " + period);
    w.heading(title, 18);
    w.line("Period: " + period);
    if (!empty) w.line("Duration: " + format_duration(set.last_ms - set.first_ms));
    w.line(fmt::format("Records: {} readings, {} alarm records, {} status records", set.readings, set.alarm_records,
                       set.status_records));

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
      for (const auto& a : set.alarms) {
        rows.push_back({a.device, a.point, a.level, when(a.raised), a.cleared < 0 ? "active" : when(a.cleared),
                        a.cleared < 0 ? format_duration(set.last_ms - a.raised) : format_duration(a.cleared - a.raised),
                        num(a.peak), num(a.limit)});
      }
      w.table({"device", "point", "level", "raised", "cleared", "duration", "peak", "limit"},
              {55, 50, 30, 105, 105, 65, 50, 40}, rows, 7.5);
      if (set.alarms_dropped > 0) w.line(fmt::format("... and {} more alarm periods not listed.", set.alarms_dropped));
    }

    // A chart per device, two to a page.
    std::map<std::string, std::vector<const PointData*>> by_device;
    for (const auto& [key, p] : set.points)
      if (p.count > 0) by_device[key.first].push_back(&p);
    if (!by_device.empty()) {
      w.new_page();
      w.heading("Charts");
      for (const auto& [dev, pts] : by_device) {
        const double h = 340;
        double y = w.block(h + 10);
        draw_chart(cr, k_margin, y, k_page_w - 2 * k_margin, h, set, pts, dev);
      }
    }
  }
  cairo_status_t st = cairo_status(cr);
  cairo_destroy(cr);
  if (st != CAIRO_STATUS_SUCCESS) throw io_error(std::string("report: ") + cairo_status_to_string(st));
  cairo_surface_finish(surface);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
    throw io_error("cannot write " + output + ": " + cairo_status_to_string(cairo_surface_status(surface)));
  return input.exit_code();
}

} // namespace iot::exporter
