#include "iot/record/reading_line.hpp"

#include <charconv>
#include <cstring>

namespace iot::record {

namespace f = fields;

namespace {

char* put(char* p, std::string_view s) {
  if (!s.empty()) std::memcpy(p, s.data(), s.size()); // an empty view may have no data (memcpy wants one)
  return p + s.size();
}

// Appends `,"name":`.
void append_key(std::string& out, std::string_view name) {
  out += ',';
  append_json_string(out, name);
  out += ':';
}

void append_text(std::string& out, std::string_view name, std::string_view v) {
  append_key(out, name);
  append_json_string(out, v);
}

// The constant parts of a point's reading records (see ReadingCache), in the order
// and with the omissions of write(JsonWriter&, const Reading&).
void render_point(const Reading& r, ReadingCache& c) {
  c.head.clear();
  append_text(c.head, f::kind, record_kind_name(RecordKind::reading));
  if (!r.src.empty()) append_text(c.head, f::src, r.src);
  if (!r.port.empty()) append_text(c.head, f::port, r.port);
  if (r.unit) {
    append_key(c.head, f::unit);
    char buf[16];
    c.head.append(buf, std::to_chars(buf, buf + sizeof buf, *r.unit).ptr);
  }
  append_text(c.head, f::device, r.device);
  append_text(c.head, f::point, r.point);
  if (!r.addr.empty()) append_text(c.head, f::addr, r.addr);
  append_key(c.head, f::value);
  c.uom.clear();
  if (!r.uom.empty()) append_text(c.uom, f::uom, r.uom);
  c.ready = true;
}

} // namespace

ReadingLineWriter::ReadingLineWriter() {
  for (std::size_t i = 0; i < m_quality.size(); ++i)
    append_text(m_quality[i], f::quality, quality_name(static_cast<Quality>(i)));
}

std::string_view ReadingLineWriter::alarm_fragment(std::string_view level) {
  if (level.empty()) return {};
  for (const auto& [name, fragment] : m_alarm)
    if (name == level) return fragment;
  std::string fragment;
  append_text(fragment, f::alarm, level);
  return m_alarm.emplace_back(std::string(level), std::move(fragment)).second;
}

void ReadingLineWriter::write(LineSink& sink, const Reading& r, ReadingCache* cache) {
  ReadingCache& c = cache != nullptr ? *cache : m_scratch;
  if (!c.ready || cache == nullptr) render_point(r, c);
  if (!m_have_ts || r.ts != m_ts) {
    format_ts(r.ts, m_ts_text + 7);
    m_ts = r.ts;
    m_have_ts = true;
  }
  const std::string_view value = value_json(r.value);
  std::string_view error;
  if (!r.error.empty()) {
    m_error.clear();
    append_text(m_error, f::error, r.error);
    error = m_error;
  }
  const std::string_view quality = m_quality.at(static_cast<std::size_t>(r.quality));
  const std::string_view alarm = alarm_fragment(r.alarm);

  std::string& out = sink.begin_line();
  const std::size_t start = out.size();
  // ,"raw":[ then up to 6 bytes per item ("65535," or "false,") then ]
  const std::size_t raw_room = r.raw.empty() ? 0 : 9 + 6 * r.raw.size();
  out.resize(start + sizeof m_ts_text + c.head.size() + value.size() + raw_room + c.uom.size() + quality.size() +
             error.size() + alarm.size() + 1);
  char* p = out.data() + start;
  std::memcpy(p, m_ts_text, sizeof m_ts_text); // a constant size: no call
  p += sizeof m_ts_text;
  p = put(p, c.head);
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
  p = put(p, c.uom);
  p = put(p, quality);
  p = put(p, error);
  p = put(p, alarm);
  *p++ = '}';
  out.resize(static_cast<std::size_t>(p - out.data()));
  sink.end_line();
}

std::string_view ReadingLineWriter::value_json(const Value& v) {
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

} // namespace iot::record
