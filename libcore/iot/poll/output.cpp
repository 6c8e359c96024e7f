#include "iot/poll/output.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>

#include "iot/values/value_json.hpp"

namespace iot::poll {

std::optional<OutputFormat> parse_output_format(std::string_view text) {
  if (text == "jsonl" || text == "json") return OutputFormat::jsonl;
  if (text == "csv") return OutputFormat::csv;
  if (text == "table") return OutputFormat::table;
  return std::nullopt;
}

namespace {

// The fields saying which point, when and where, alike in the engine's records and the ones written.
template <typename Written, typename Engine> void copy_point_fields(Written& to, const Engine& from) {
  to.ts = from.ts;
  to.port = from.port;
  to.unit = from.unit;
  to.device = from.device;
  to.point = from.point;
}

void write_alarm_json(JsonWriter& w, const AlarmRecord& r) {
  record::Alarm a;
  copy_point_fields(a, r);
  a.state = alarm_state_name(r.event.state);
  a.level = alarm_level_name(r.event.level); // empty (null) when cleared
  if (r.event.state != AlarmEvent::State::raised) a.previous = alarm_level_name(r.event.previous);
  a.type = alarm_type_name(r.type);
  a.value = r.event.value;
  a.limit = r.event.limit;
  a.uom = r.uom;
  record::write(w, a);
}

void write_stats_json(JsonWriter& w, const StatsRecord& r) {
  namespace f = fields;
  const PortStats& s = *r.stats;
  const auto wall = std::chrono::microseconds(static_cast<long long>(r.wall_s * 1e6));
  const record::Counter counters[] = {
      {f::requests, std::uint64_t{s.requests}},
      {f::answers, std::uint64_t{s.answers}},
      {f::timeouts, std::uint64_t{s.timeouts}},
      {f::crc_errors, std::uint64_t{s.crc_errors}},
      {f::exceptions, std::uint64_t{s.exceptions}},
      {f::errors, std::uint64_t{s.errors}},
      {f::late, std::uint64_t{s.late}},
      {f::mismatch, std::uint64_t{s.mismatch}},
      {f::latency_mean_ms, std::round(s.latency.mean_ms() * 1000) / 1000},
      {f::latency_p99_ms, std::round(s.latency.quantile_ms(0.99) * 1000) / 1000},
      {f::bus_utilization, std::round(s.bus_utilization(wall) * 10000) / 10000},
      {f::duration_s, std::round(r.wall_s * 1000) / 1000},
  };
  record::Stats rec;
  rec.ts = r.ts;
  rec.tool = "iot-poll";
  rec.port = r.port;
  rec.counters = counters;
  record::write(w, rec);
}

record::Write write_of(const WriteRecord& r) {
  record::Write w;
  copy_point_fields(w, r);
  w.addr = r.addr;
  if (r.fc != 0) w.fc = r.fc;
  w.value = r.requested;
  w.value_list = r.requested_list;
  w.raw = r.values;
  w.ok = r.ok;
  w.quality = r.quality;
  if (r.exception) w.exception_code = *r.exception;
  w.error = r.error;
  if (r.ok && r.quality == "ok") w.latency_ms = std::round(r.latency_ms * 1000) / 1000; // answered
  w.cause = r.cause;
  return w;
}

// The requested value as JSON text, for the csv and table renderers.
std::string requested_text(const WriteRecord& r) { return record::write_value_text(write_of(r)); }

class JsonlRenderer final : public Renderer {
public:
  explicit JsonlRenderer(LineSink& sink) : m_sink(sink) {}

  // The most frequent record: written by the fast writer (record/reading_line.hpp).
  void reading(const ReadingRecord& r) override {
    const record::Reading rec{r.ts,    {},    r.port,     r.unit, r.device,  r.point, r.addr,
                              r.value, r.raw, r.raw_bits, r.uom,  r.quality, r.error, alarm_level_name(r.alarm)};
    m_readings.write(m_sink, rec, r.cache);
  }

  void status(const StatusRecord& r) override {
    RecordLine line(m_sink);
    record::Status s;
    s.ts = r.ts;
    s.port = r.port;
    if (r.unit) s.unit = *r.unit;
    s.device = r.device;
    s.state = r.state;
    s.reason = r.reason;
    record::write(line.w, s);
  }
  void alarm(const AlarmRecord& r) override {
    RecordLine line(m_sink);
    write_alarm_json(line.w, r);
  }
  void write(const WriteRecord& r) override {
    RecordLine line(m_sink);
    record::write(line.w, write_of(r));
  }
  void line(std::string_view json) override { m_sink.write_line(json); }
  void stats(const StatsRecord& r) override {
    RecordLine line(m_sink);
    write_stats_json(line.w, r);
  }
  void flush() override { m_sink.flush(); }

private:
  LineSink& m_sink;
  record::ReadingLineWriter m_readings;
};

// RFC 4180 field: quoted when it holds a comma, quote or line break.
std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string value_text(const values::Value& v) {
  if (const double* d = std::get_if<double>(&v)) {
    if (!std::isfinite(*d)) return "";
    return fmt::format("{}", *d);
  }
  return values::to_string(v);
}

class CsvRenderer final : public Renderer {
public:
  explicit CsvRenderer(LineSink& sink) : m_sink(sink) {
    m_sink.write_line("ts,kind,port,unit,device,point,addr,value,uom,quality,alarm,detail");
  }
  void reading(const ReadingRecord& r) override {
    row(r.ts, "reading", r.port, std::to_string(r.unit), r.device, r.point, r.addr, value_text(r.value), r.uom,
        quality_name(r.quality), alarm_level_name(r.alarm), r.error);
  }
  void status(const StatusRecord& r) override {
    row(r.ts, "status", r.port, r.unit ? std::to_string(*r.unit) : "", r.device, "", "", r.state, "", "", "", r.reason);
  }
  void alarm(const AlarmRecord& r) override {
    row(r.ts, "alarm", r.port, std::to_string(r.unit), r.device, r.point, "", fmt::format("{}", r.event.value), r.uom,
        "", alarm_level_name(r.event.level),
        fmt::format("{} limit {}", alarm_state_name(r.event.state), r.event.limit));
  }
  void write(const WriteRecord& r) override {
    row(r.ts, "write", r.port, std::to_string(r.unit), r.device, r.point, r.addr, requested_text(r), "", r.quality, "",
        r.cause.empty()   ? r.error
        : r.error.empty() ? r.cause
                          : r.error + " (" + r.cause + ")");
  }
  void stats(const StatsRecord& r) override {
    const PortStats& s = *r.stats;
    row(r.ts, "stats", r.port, "", "", "", "", "", "", "", "",
        fmt::format("requests={} answers={} timeouts={} crc_errors={} exceptions={} late={} mismatch={} "
                    "latency_mean_ms={:.3f} latency_p99_ms={:.3f} bus_utilization={:.4f}",
                    s.requests, s.answers, s.timeouts, s.crc_errors, s.exceptions, s.late, s.mismatch,
                    s.latency.mean_ms(), s.latency.quantile_ms(0.99),
                    s.bus_utilization(std::chrono::microseconds(static_cast<long long>(r.wall_s * 1e6)))));
  }
  void flush() override { m_sink.flush(); }

private:
  template <typename... F> void row(TimePoint ts, std::string_view kind, const F&... fields) {
    std::string& out = m_sink.begin_line();
    out += format_ts(ts);
    out += ',';
    out += kind;
    ((out += ',', out += csv_field(std::string_view(fields))), ...);
    m_sink.end_line();
  }
  LineSink& m_sink;
};

// A live table for a terminal: one row per device, its points across, redrawn
// at most a few times a second. Alarm levels in color (H/L yellow, HH/LL red),
// failed readings magenta, offline devices dimmed.
class TableRenderer final : public Renderer {
public:
  TableRenderer(LineSink& sink, bool color) : m_sink(sink), m_color(color) {}
  void reading(const ReadingRecord& r) override {
    Row& row = device_row(r.port, r.device, r.unit);
    Cell& cell = row.cells[std::string(r.point)];
    if (cell.order == 0) cell.order = ++row.next_order;
    cell.text = r.quality == Quality::ok ? value_text(r.value) : std::string(quality_name(r.quality));
    if (r.quality == Quality::ok && !r.uom.empty()) cell.text += " " + std::string(r.uom);
    cell.quality = r.quality;
    cell.alarm = r.alarm;
    m_dirty = true;
  }
  void status(const StatusRecord& r) override {
    if (!r.unit) {
      m_port_state[std::string(r.port)] = std::string(r.state);
    } else {
      device_row(r.port, r.device, *r.unit).state = std::string(r.state);
    }
    m_dirty = true;
  }
  void alarm(const AlarmRecord& r) override {
    m_last_alarm =
        fmt::format("{} {}.{} {} {} (value {}, limit {})", format_ts(r.ts), r.device, r.point,
                    alarm_state_name(r.event.state), alarm_level_name(r.event.level), r.event.value, r.event.limit);
    m_dirty = true;
  }
  void write(const WriteRecord& r) override {
    m_last_alarm = fmt::format("write {}.{} = {}: {}{}", r.device, r.point, requested_text(r),
                               r.ok ? r.quality : r.error, r.cause.empty() ? "" : " (" + r.cause + ")");
  }
  void stats(const StatsRecord& r) override {
    const PortStats& s = *r.stats;
    m_sink.write_line(
        fmt::format("{}: {} requests, {} answers, {} timeouts, {} crc, {} exceptions, mean {:.2f} ms, p99 {:.2f} ms",
                    r.port, s.requests, s.answers, s.timeouts, s.crc_errors, s.exceptions, s.latency.mean_ms(),
                    s.latency.quantile_ms(0.99)));
  }
  void cycle_end() override {
    const auto t = std::chrono::steady_clock::now();
    if (!m_dirty || t - m_last_draw < std::chrono::milliseconds(250)) return;
    m_last_draw = t;
    m_dirty = false;
    draw();
  }
  void finish() override {
    if (m_dirty) draw();
    m_dirty = false;
  }
  void flush() override { m_sink.flush(); }

private:
  struct Cell {
    std::string text;
    Quality quality = Quality::ok;
    AlarmLevel alarm = AlarmLevel::none;
    int order = 0;
  };
  struct Row {
    std::string port, device;
    int unit = 0;
    std::string state = "online";
    std::map<std::string, Cell> cells;
    int next_order = 0;
  };

  Row& device_row(std::string_view port, std::string_view device, int unit) {
    const std::string key = fmt::format("{}\x1f{:03}\x1f{}", port, unit, device);
    Row& row = m_rows[key];
    if (row.device.empty()) {
      row.port = port;
      row.device = device;
      row.unit = unit;
    }
    return row;
  }

  std::string paint(const std::string& text, const char* code) const {
    return m_color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : text;
  }

  void draw() {
    int width = 120;
    winsize ws{};
    if (::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) width = ws.ws_col;
    if (m_color) m_sink.write_line("\x1b[H\x1b[2J");
    m_sink.write_line(fmt::format("iot-poll  {}", format_ts(now())));
    std::string current_port;
    for (auto& [key, row] : m_rows) {
      if (row.port != current_port) {
        current_port = row.port;
        auto ps = m_port_state.find(row.port);
        m_sink.write_line(fmt::format("[{}]{}", row.port, ps != m_port_state.end() ? " " + ps->second : ""));
      }
      const bool offline = row.state == "offline";
      std::vector<std::pair<int, const std::pair<const std::string, Cell>*>> ordered;
      for (auto& c : row.cells)
        ordered.emplace_back(c.second.order, &c);
      std::sort(ordered.begin(), ordered.end(), [](auto& a, auto& b) { return a.first < b.first; });
      std::string head = fmt::format("  {:<16} {:>3} {:<8}", row.device.substr(0, 16), row.unit, row.state);
      std::string line = head;
      std::size_t visible = head.size();
      for (auto& [order, cell] : ordered) {
        std::string item = fmt::format("{}={}", cell->first, cell->second.text);
        if (visible + item.size() + 2 > static_cast<std::size_t>(width)) {
          m_sink.write_line(offline ? paint(line, "2") : line);
          line = std::string(head.size(), ' ');
          visible = line.size();
        }
        visible += item.size() + 2;
        const char* code = nullptr;
        if (cell->second.alarm == AlarmLevel::hh || cell->second.alarm == AlarmLevel::ll)
          code = "1;31";
        else if (cell->second.alarm != AlarmLevel::none)
          code = "33";
        else if (cell->second.quality != Quality::ok)
          code = "35";
        line += "  " + (code != nullptr && !offline ? paint(item, code) : item);
      }
      m_sink.write_line(offline ? paint(line, "2") : line);
    }
    if (!m_last_alarm.empty()) m_sink.write_line("last: " + m_last_alarm);
    m_sink.flush();
  }

  LineSink& m_sink;
  bool m_color;
  bool m_dirty = false;
  std::map<std::string, Row> m_rows;
  std::map<std::string, std::string> m_port_state;
  std::string m_last_alarm;
  std::chrono::steady_clock::time_point m_last_draw{};
};

} // namespace

std::string alarm_json(const AlarmRecord& r) {
  std::string out;
  JsonWriter w(out);
  write_alarm_json(w, r);
  return out;
}

void Output::alarm_locked(const AlarmRecord& r) {
  m_renderer->alarm(r);
  if (m_alarm_listener) m_alarm_listener(alarm_json(r));
  if (m_alarm_hook) m_alarm_hook(r);
}

std::string scan_summary_json(TimePoint ts, const ScanSummary& s) {
  ScanSummary rec = s;
  rec.ts = ts;
  std::string out;
  JsonWriter w(out);
  record::write(w, rec);
  return out;
}

std::unique_ptr<Renderer> make_renderer(OutputFormat format, LineSink& sink, bool color) {
  switch (format) {
  case OutputFormat::jsonl: return std::make_unique<JsonlRenderer>(sink);
  case OutputFormat::csv: return std::make_unique<CsvRenderer>(sink);
  case OutputFormat::table: return std::make_unique<TableRenderer>(sink, color);
  }
  return std::make_unique<JsonlRenderer>(sink);
}

} // namespace iot::poll
