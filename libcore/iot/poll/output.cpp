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

void write_alarm_json(JsonWriter& w, const AlarmRecord& r) {
  w.begin_record(r.ts, "alarm");
  w.field("port", r.port);
  w.field("unit", static_cast<int>(r.unit));
  w.field("device", r.device);
  w.field("point", r.point);
  w.field("state", alarm_state_name(r.event.state));
  if (r.event.level == AlarmLevel::none)
    w.field_null("level");
  else
    w.field("level", alarm_level_name(r.event.level));
  if (r.event.state != AlarmEvent::State::raised) w.field("previous", alarm_level_name(r.event.previous));
  w.field("type", alarm_type_name(r.type));
  w.field("value", r.event.value);
  w.field("limit", r.event.limit);
  if (!r.uom.empty()) w.field("uom", r.uom);
  w.end_object();
}

void write_stats_json(JsonWriter& w, const StatsRecord& r) {
  const PortStats& s = *r.stats;
  w.begin_record(r.ts, "stats");
  w.field("tool", "iot-poll");
  w.field("port", r.port);
  w.field("requests", static_cast<unsigned long long>(s.requests));
  w.field("answers", static_cast<unsigned long long>(s.answers));
  w.field("timeouts", static_cast<unsigned long long>(s.timeouts));
  w.field("crc_errors", static_cast<unsigned long long>(s.crc_errors));
  w.field("exceptions", static_cast<unsigned long long>(s.exceptions));
  w.field("errors", static_cast<unsigned long long>(s.errors));
  w.field("late", static_cast<unsigned long long>(s.late));
  w.field("mismatch", static_cast<unsigned long long>(s.mismatch));
  w.field("latency_mean_ms", std::round(s.latency.mean_ms() * 1000) / 1000);
  w.field("latency_p99_ms", std::round(s.latency.quantile_ms(0.99) * 1000) / 1000);
  const auto wall = std::chrono::microseconds(static_cast<long long>(r.wall_s * 1e6));
  w.field("bus_utilization", std::round(s.bus_utilization(wall) * 10000) / 10000);
  w.field("duration_s", std::round(r.wall_s * 1000) / 1000);
  w.end_object();
}

void write_requested(JsonWriter& w, const WriteRecord& r) {
  w.key("value");
  if (r.requested_list) w.begin_array();
  for (const auto& v : r.requested)
    values::write_json(w, v);
  if (r.requested_list) w.end_array();
}

// The requested value as JSON text, for the csv and table renderers.
std::string requested_text(const WriteRecord& r) {
  if (r.requested.empty()) return {};
  std::string out;
  {
    JsonWriter w(out);
    w.begin_object();
    write_requested(w, r);
    w.end_object();
  }
  // {"value":...}
  return out.substr(9, out.size() - 10);
}

void write_write_json(JsonWriter& w, const WriteRecord& r) {
  w.begin_record(r.ts, "write");
  w.field("port", r.port);
  w.field("unit", static_cast<int>(r.unit));
  if (!r.device.empty()) w.field("device", r.device);
  if (!r.point.empty()) w.field("point", r.point);
  if (!r.addr.empty()) w.field("addr", r.addr);
  if (r.fc != 0) w.field("fc", static_cast<int>(r.fc));
  if (!r.requested.empty()) write_requested(w, r);
  if (!r.values.empty()) {
    w.key("raw");
    w.begin_array();
    for (auto x : r.values)
      w.value(static_cast<unsigned>(x));
    w.end_array();
  }
  w.field("ok", r.ok);
  w.field("quality", r.quality);
  if (r.exception) {
    w.key("exception");
    w.begin_object();
    w.field("code", static_cast<int>(*r.exception));
    w.end_object();
  }
  if (!r.error.empty()) w.field("error", r.error);
  if (r.ok && r.quality == "ok") w.field("latency_ms", std::round(r.latency_ms * 1000) / 1000); // answered
  if (!r.cause.empty()) w.field("cause", r.cause);
  w.end_object();
}

template <typename T> void append_integer(std::string& out, T v) {
  char buf[24];
  const char* end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, static_cast<std::size_t>(end - buf));
}

char* put(char* p, std::string_view s) {
  if (!s.empty()) std::memcpy(p, s.data(), s.size()); // an empty view may have no data (memcpy wants one)
  return p + s.size();
}

// The constant parts of a point's reading records (see PointCache).
void render_point(const ReadingRecord& r, PointCache& c) {
  c.jsonl_head.assign(R"(,"kind":"reading","port":)");
  append_json_string(c.jsonl_head, r.port);
  c.jsonl_head.append(R"(,"unit":)");
  append_integer(c.jsonl_head, static_cast<int>(r.unit));
  c.jsonl_head.append(R"(,"device":)");
  append_json_string(c.jsonl_head, r.device);
  c.jsonl_head.append(R"(,"point":)");
  append_json_string(c.jsonl_head, r.point);
  c.jsonl_head.append(R"(,"addr":)");
  append_json_string(c.jsonl_head, r.addr);
  c.jsonl_head.append(R"(,"value":)");
  c.jsonl_uom.clear();
  if (!r.uom.empty()) {
    c.jsonl_uom.assign(R"(,"uom":)");
    append_json_string(c.jsonl_uom, r.uom);
  }
  c.ready = true;
}

class JsonlRenderer final : public Renderer {
public:
  explicit JsonlRenderer(LineSink& sink) : m_sink(sink) {
    for (std::size_t i = 0; i < m_quality.size(); ++i) {
      m_quality[i] = R"(,"quality":)";
      append_json_string(m_quality[i], quality_name(static_cast<Quality>(i)));
    }
    for (std::size_t i = 1; i < m_alarm.size(); ++i) {
      m_alarm[i] = R"(,"alarm":)";
      append_json_string(m_alarm[i], alarm_level_name(static_cast<AlarmLevel>(i)));
    }
  }

  // A reading is the most frequent record by far (one per point and answer), so it is
  // assembled from pre-rendered parts: the point's constant fields (PointCache, escaped
  // once), a time stamp formatted once for all readings of an answer, and fragments
  // for quality and alarm level; then the line is written in place in one piece. The
  // fields, their order and their spelling are those of docs/record-format.md, as
  // JsonWriter writes them (the same string escaping and number formatting).
  void reading(const ReadingRecord& r) override {
    PointCache& c = r.cache != nullptr ? *r.cache : m_scratch;
    if (!c.ready || r.cache == nullptr) render_point(r, c);
    if (!m_have_ts || r.ts != m_ts) {
      format_ts(r.ts, m_ts_text + 7);
      m_ts = r.ts;
      m_have_ts = true;
    }
    const std::string_view value = value_json(r.value);
    std::string_view error;
    if (!r.error.empty()) {
      m_error.assign(R"(,"error":)");
      append_json_string(m_error, r.error);
      error = m_error;
    }
    const std::string_view quality = m_quality.at(static_cast<std::size_t>(r.quality));
    const std::string_view alarm = m_alarm.at(static_cast<std::size_t>(r.alarm));

    std::string& out = m_sink.begin_line();
    const std::size_t start = out.size();
    // ,"raw":[ then up to 6 bytes per item ("65535," or "false,") then ]
    const std::size_t raw_room = r.raw.empty() ? 0 : 9 + 6 * r.raw.size();
    out.resize(start + sizeof m_ts_text + c.jsonl_head.size() + value.size() + raw_room + c.jsonl_uom.size() +
               quality.size() + error.size() + alarm.size() + 1);
    char* p = out.data() + start;
    std::memcpy(p, m_ts_text, sizeof m_ts_text); // a constant size: no call
    p += sizeof m_ts_text;
    p = put(p, c.jsonl_head);
    p = put(p, value);
    if (!r.raw.empty()) {
      p = put(p, R"(,"raw":[)");
      for (std::size_t i = 0; i < r.raw.size(); ++i) {
        if (i != 0) *p++ = ',';
        if (r.raw_bits)
          p = put(p, r.raw[i] != 0 ? std::string_view("true") : std::string_view("false"));
        else
          p = std::to_chars(p, p + 5, static_cast<unsigned>(r.raw[i])).ptr;
      }
      *p++ = ']';
    }
    p = put(p, c.jsonl_uom);
    p = put(p, quality);
    p = put(p, error);
    p = put(p, alarm);
    *p++ = '}';
    out.resize(static_cast<std::size_t>(p - out.data()));
    m_sink.end_line();
  }

  void status(const StatusRecord& r) override {
    RecordLine line(m_sink);
    auto& w = line.w;
    w.begin_record(r.ts, "status");
    w.field("port", r.port);
    if (r.unit) w.field("unit", static_cast<int>(*r.unit));
    if (!r.device.empty()) w.field("device", r.device);
    w.field("state", r.state);
    if (!r.reason.empty()) w.field("reason", r.reason);
    w.end_object();
  }
  void alarm(const AlarmRecord& r) override {
    RecordLine line(m_sink);
    write_alarm_json(line.w, r);
  }
  void write(const WriteRecord& r) override {
    RecordLine line(m_sink);
    write_write_json(line.w, r);
  }
  void line(std::string_view json) override { m_sink.write_line(json); }
  void stats(const StatsRecord& r) override {
    RecordLine line(m_sink);
    write_stats_json(line.w, r);
  }
  void flush() override { m_sink.flush(); }

private:
  // The JSON of a value, as values::write_json() writes it; valid until the next call.
  std::string_view value_json(const values::Value& v) {
    return std::visit(
        [&](const auto& x) -> std::string_view {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return "null";
          } else if constexpr (std::is_same_v<T, bool>) {
            return x ? "true" : "false";
          } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t>) {
            return {m_number, static_cast<std::size_t>(std::to_chars(m_number, m_number + 32, x).ptr - m_number)};
          } else if constexpr (std::is_same_v<T, double>) {
            return {m_number, static_cast<std::size_t>(format_json_double(x, m_number) - m_number)};
          } else {
            m_string.clear();
            append_json_string(m_string, x);
            return m_string;
          }
        },
        v);
  }

  LineSink& m_sink;
  std::array<std::string, 6> m_quality; // ,"quality":"ok" ... by Quality
  std::array<std::string, 5> m_alarm;   // ,"alarm":"H" ... by AlarmLevel (empty for none)
  char m_number[32] = {};
  std::string m_string, m_error;
  PointCache m_scratch; // for records that come without a cache
  TimePoint m_ts{};
  bool m_have_ts = false;
  char m_ts_text[32] = {'{', '"', 't', 's', '"', ':', '"', 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        0,   0,   0,   0,   0,   0,   0,   0, 0, 0, 0, 0, 0, 0, 0, '"'};
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
        r.cause.empty() ? r.error : r.error.empty() ? r.cause : r.error + " (" + r.cause + ")");
  }
  void stats(const StatsRecord& r) override {
    const PortStats& s = *r.stats;
    row(r.ts, "stats", r.port, "", "", "", "", "", "", "", "",
        fmt::format("requests={} answers={} timeouts={} crc_errors={} exceptions={} late={} mismatch={} "
                    "latency_mean_ms={:.3f} latency_p99_ms={:.3f} bus_utilization={:.4f}",
                    s.requests, s.answers, s.timeouts, s.crc_errors, s.exceptions, s.late, s.mismatch,
                    s.latency.mean_ms(),
                    s.latency.quantile_ms(0.99),
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
    m_last_alarm = fmt::format("write {}.{} = {}: {}{}", r.device, r.point, requested_text(r), r.ok ? r.quality : r.error,
                               r.cause.empty() ? "" : " (" + r.cause + ")");
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
  std::string out;
  JsonWriter w(out);
  w.begin_record(ts, "scan");
  w.field("target", s.target);
  w.field("probes", static_cast<unsigned long>(s.probes));
  w.field("found", static_cast<unsigned long>(s.found));
  w.field("duration_s", std::round(s.duration_s * 1000) / 1000);
  if (!s.stopped.empty()) w.field("stopped", s.stopped);
  w.key("settings");
  w.begin_array();
  for (const auto& row : s.settings) {
    w.begin_object();
    w.field("settings", row.settings);
    w.field("probes", static_cast<unsigned long>(row.probes));
    w.key("units");
    w.begin_array();
    for (auto u : row.units)
      w.value(static_cast<unsigned>(u));
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
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
