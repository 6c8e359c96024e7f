#include "iot/record/record.hpp"

#include "iot/core/error.hpp"
#include "iot/record/line_reader.hpp"

namespace iot {

static_assert(LineReader::k_line_padding >= simdjson::SIMDJSON_PADDING);

namespace {
constexpr std::string_view k_kind_names[] = {"frame", "reading", "status", "alarm",     "mqtt", "stats",
                                             "ready", "ack",     "write",  "aggregate", "port", "unknown"};
constexpr std::string_view k_quality_names[] = {"ok", "timeout", "crc", "exception", "offline", "error"};
} // namespace

RecordKind record_kind_from(std::string_view name) {
  for (std::size_t i = 0; i + 1 < std::size(k_kind_names); ++i)
    if (k_kind_names[i] == name) return static_cast<RecordKind>(i);
  return RecordKind::unknown;
}

std::string_view record_kind_name(RecordKind kind) { return k_kind_names[static_cast<std::size_t>(kind)]; }

std::string_view quality_name(Quality q) { return k_quality_names[static_cast<std::size_t>(q)]; }

simdjson::dom::object RecordParser::parse(std::string_view line, std::size_t line_number) {
  simdjson::dom::element doc;
  auto error = m_parser.parse(reinterpret_cast<const uint8_t*>(line.data()), line.size(), false).get(doc);
  if (error) {
    throw data_error("line " + std::to_string(line_number) + ": not valid JSON (" + simdjson::error_message(error) +
                     ")");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    throw data_error("line " + std::to_string(line_number) + ": a record must be a JSON object");
  }
  return obj;
}

simdjson::dom::object RecordParser::parse_copy(std::string_view line, std::size_t line_number) {
  m_copy.assign(line);
  m_copy.append(simdjson::SIMDJSON_PADDING, '\0');
  return parse(std::string_view(m_copy.data(), line.size()), line_number);
}

std::optional<std::string_view> get_string(simdjson::dom::object obj, std::string_view key) {
  std::string_view s;
  if (obj[key].get_string().get(s)) return std::nullopt;
  return s;
}

std::optional<double> get_number(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::element e;
  if (obj[key].get(e)) return std::nullopt;
  double d;
  if (e.is_double() || e.is_int64() || e.is_uint64()) {
    if (!e.get_double().get(d)) return d;
    std::int64_t i;
    if (!e.get_int64().get(i)) return static_cast<double>(i);
    std::uint64_t u;
    if (!e.get_uint64().get(u)) return static_cast<double>(u);
  }
  return std::nullopt;
}

std::optional<std::int64_t> get_int(simdjson::dom::object obj, std::string_view key) {
  std::int64_t i;
  if (obj[key].get_int64().get(i)) return std::nullopt;
  return i;
}

std::optional<bool> get_bool(simdjson::dom::object obj, std::string_view key) {
  bool b;
  if (obj[key].get_bool().get(b)) return std::nullopt;
  return b;
}

std::optional<TimePoint> get_ts(simdjson::dom::object obj) {
  auto s = get_string(obj, fields::ts);
  if (!s) return std::nullopt;
  return parse_ts(*s);
}

RecordKind get_kind(simdjson::dom::object obj) {
  auto s = get_string(obj, fields::kind);
  return s ? record_kind_from(*s) : RecordKind::unknown;
}

} // namespace iot
