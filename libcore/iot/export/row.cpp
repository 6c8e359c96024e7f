#include "iot/export/row.hpp"

#include "iot/record/fields.hpp"
#include "iot/record/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace iot::exporter {

namespace {

constexpr std::int64_t k_exact_int = std::int64_t{1} << 53;

enum class Field : std::uint8_t {
  other,
  ts,
  kind,
  device,
  point,
  port,
  addr,
  uom,
  quality,
  error,
  alarm,
  state,
  level,
  type,
  reason,
  unit,
  value,
  limit,
  raw,
  fc,
  ok,
  latency_ms
};

Field field_of(std::string_view k) {
  switch (k.size()) {
  case 2: return k == fields::ts ? Field::ts : k == fields::fc ? Field::fc : k == fields::ok ? Field::ok : Field::other;
  case 3: return k == fields::raw ? Field::raw : k == fields::uom ? Field::uom : Field::other;
  case 4:
    if (k == fields::kind) return Field::kind;
    if (k == fields::port) return Field::port;
    if (k == fields::addr) return Field::addr;
    if (k == fields::unit) return Field::unit;
    if (k == fields::type) return Field::type;
    return Field::other;
  case 5:
    if (k == fields::point) return Field::point;
    if (k == fields::error) return Field::error;
    if (k == fields::alarm) return Field::alarm;
    if (k == fields::state) return Field::state;
    if (k == fields::level) return Field::level;
    if (k == fields::value) return Field::value;
    if (k == fields::limit) return Field::limit;
    return Field::other;
  case 6: return k == fields::device ? Field::device : k == fields::reason ? Field::reason : Field::other;
  case 7: return k == fields::quality ? Field::quality : Field::other;
  case 10: return k == fields::latency_ms ? Field::latency_ms : Field::other;
  default: return Field::other;
  }
}

// Whether the column `f` exists for records of `kind` (docs/storage.md).
bool has_column(RecordKind kind, Field f) {
  switch (kind) {
  case RecordKind::reading:
    switch (f) {
    case Field::device:
    case Field::point:
    case Field::port:
    case Field::unit:
    case Field::addr:
    case Field::value:
    case Field::raw:
    case Field::uom:
    case Field::quality:
    case Field::error:
    case Field::alarm: return true;
    default: return false;
    }
  case RecordKind::alarm:
    switch (f) {
    case Field::device:
    case Field::point:
    case Field::state:
    case Field::level:
    case Field::type:
    case Field::value:
    case Field::limit:
    case Field::uom: return true;
    default: return false;
    }
  case RecordKind::status:
    switch (f) {
    case Field::port:
    case Field::unit:
    case Field::device:
    case Field::state:
    case Field::reason: return true;
    default: return false;
    }
  case RecordKind::write:
    switch (f) {
    case Field::port:
    case Field::unit:
    case Field::device:
    case Field::point:
    case Field::addr:
    case Field::fc:
    case Field::value:
    case Field::raw:
    case Field::ok:
    case Field::quality:
    case Field::error:
    case Field::latency_ms: return true;
    default: return false;
    }
  default: return false;
  }
}

std::string_view* text_column(Row& r, Field f) {
  switch (f) {
  case Field::device: return &r.device;
  case Field::point: return &r.point;
  case Field::port: return &r.port;
  case Field::addr: return &r.addr;
  case Field::uom: return &r.uom;
  case Field::quality: return &r.quality;
  case Field::error: return &r.error;
  case Field::alarm: return &r.alarm;
  case Field::state: return &r.state;
  case Field::level: return &r.level;
  case Field::type: return &r.type;
  case Field::reason: return &r.reason;
  default: return nullptr;
  }
}

// A JSON number as a double, if it converts exactly.
bool exact_double(simdjson::dom::element e, double& out) {
  switch (e.type()) {
  case simdjson::dom::element_type::DOUBLE: out = e.get_double().value_unsafe(); return true;
  case simdjson::dom::element_type::INT64: {
    auto i = e.get_int64().value_unsafe();
    // Compare as integers: 2^53 + 1 converts to 2^53 and would pass a test on the double.
    if (i > k_exact_int || i < -k_exact_int) return false;
    out = static_cast<double>(i);
    return true;
  }
  case simdjson::dom::element_type::UINT64: {
    auto u = e.get_uint64().value_unsafe();
    if (u > static_cast<std::uint64_t>(k_exact_int)) return false;
    out = static_cast<double>(u);
    return true;
  }
  default: return false;
  }
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

} // namespace

void append_number(std::string& out, double v) {
  char buf[32];
  out.append(buf, format_json_double(v, buf));
}

void append_json(std::string& out, simdjson::dom::element e) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
  case T::INT64: append_int(out, e.get_int64().value_unsafe()); return;
  case T::UINT64: {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, e.get_uint64().value_unsafe());
    out.append(buf, r.ptr);
    return;
  }
  case T::DOUBLE: append_number(out, e.get_double().value_unsafe()); return;
  case T::BOOL: out.append(e.get_bool().value_unsafe() ? "true" : "false"); return;
  case T::NULL_VALUE: out.append("null"); return;
  case T::STRING: append_json_string(out, e.get_string().value_unsafe()); return;
  case T::ARRAY: {
    out.push_back('[');
    bool first = true;
    simdjson::dom::array items = e.get_array().value_unsafe();
    for (auto item : items) {
      if (!first) out.push_back(',');
      first = false;
      append_json(out, item);
    }
    out.push_back(']');
    return;
  }
  case T::OBJECT: {
    out.push_back('{');
    bool first = true;
    simdjson::dom::object members = e.get_object().value_unsafe();
    for (auto field : members) {
      if (!first) out.push_back(',');
      first = false;
      append_json_string(out, field.key);
      out.push_back(':');
      append_json(out, field.value);
    }
    out.push_back('}');
    return;
  }
  }
}

std::string to_row(simdjson::dom::object obj, Row& row, std::string& buffer) {
  using T = simdjson::dom::element_type;
  row.clear();
  buffer.clear();
  std::string_view ts_text;
  std::string_view kind_text;
  std::size_t raw_begin = 0, raw_end = 0;
  simdjson::dom::element raw_elem;
  bool has_raw = false;
  std::size_t extra_begin = std::string::npos;
  // First pass for ts and kind: every other decision depends on the kind.
  for (auto field : obj) {
    if (field.key == fields::kind) {
      if (field.value.get_string().get(kind_text)) return "\"kind\" is not a string";
    } else if (field.key == fields::ts) {
      if (field.value.get_string().get(ts_text)) return "\"ts\" is not a string";
    }
  }
  if (kind_text.empty()) return "no \"kind\"";
  row.kind = record_kind_from(kind_text);
  if (row.kind != RecordKind::reading && row.kind != RecordKind::alarm && row.kind != RecordKind::status &&
      row.kind != RecordKind::write)
    return "kind \"" + std::string(kind_text) + "\" cannot be stored";
  if (ts_text.empty()) return "no \"ts\"";
  auto ts = parse_ts(ts_text);
  if (!ts) return "bad \"ts\": " + std::string(ts_text);
  row.ts_ms = epoch_ms(*ts);
  // Reject sub-millisecond stamps we would silently round: the store keeps ms.
  if (ts->time_since_epoch().count() % 1000 != 0) return "\"ts\" has sub-millisecond digits";

  for (auto field : obj) {
    Field f = field_of(field.key);
    if (f == Field::ts || f == Field::kind) continue;
    bool taken = false;
    if (f != Field::other && has_column(row.kind, f)) {
      T t = field.value.type();
      if (auto* col = text_column(row, f)) {
        std::string_view s;
        if (t == T::STRING && !field.value.get_string().get(s) && !s.empty()) {
          *col = s;
          taken = true;
        }
      } else if (f == Field::unit || f == Field::fc) {
        // Stored as a 32-bit integer (PostgreSQL integer); anything wider stays in extra.
        std::int64_t v = 0;
        if (t == T::INT64 && (v = field.value.get_int64().value_unsafe()) >= INT32_MIN && v <= INT32_MAX) {
          (f == Field::unit ? row.unit : row.fc) = v;
          (f == Field::unit ? row.has_unit : row.has_fc) = true;
          taken = true;
        }
      } else if (f == Field::ok) {
        if (t == T::BOOL) {
          row.ok = field.value.get_bool().value_unsafe();
          row.has_ok = true;
          taken = true;
        }
      } else if (f == Field::latency_ms) {
        if (exact_double(field.value, row.latency_ms)) {
          row.has_latency = true;
          taken = true;
        }
      } else if (f == Field::limit) {
        if (exact_double(field.value, row.limit)) {
          row.has_limit = true;
          taken = true;
        }
      } else if (f == Field::value) {
        if (exact_double(field.value, row.value_num)) {
          row.value_tag = ValueTag::number;
          taken = true;
        } else if (row.kind == RecordKind::reading || row.kind == RecordKind::write) {
          if (t == T::BOOL) {
            row.value_bool = field.value.get_bool().value_unsafe();
            row.value_tag = ValueTag::boolean;
            taken = true;
          } else if (t == T::STRING) {
            row.value_text = field.value.get_string().value_unsafe();
            row.value_tag = ValueTag::string;
            taken = true;
          } else if (t == T::NULL_VALUE && row.kind == RecordKind::reading) {
            // A write's value may be absent, so only a reading stores null in
            // its value columns; a write's null stays in extra.
            row.value_tag = ValueTag::null;
            taken = true;
          }
        }
      } else if (f == Field::raw) {
        if (t == T::ARRAY && !has_raw) {
          // Written after the loop: the extra object is being built in `buffer`.
          raw_elem = field.value;
          has_raw = true;
          taken = true;
        }
      }
    }
    if (taken) continue;
    if (extra_begin == std::string::npos) {
      extra_begin = buffer.size();
      buffer.push_back('{');
    } else {
      buffer.push_back(',');
    }
    append_json_string(buffer, field.key);
    buffer.push_back(':');
    append_json(buffer, field.value);
  }
  if (extra_begin != std::string::npos) buffer.push_back('}');
  const std::size_t extra_end = buffer.size();
  if (has_raw) {
    raw_begin = buffer.size();
    append_json(buffer, raw_elem);
    raw_end = buffer.size();
  }
  if (has_raw) row.raw = std::string_view(buffer).substr(raw_begin, raw_end - raw_begin);
  if (extra_begin != std::string::npos)
    row.extra = std::string_view(buffer).substr(extra_begin, extra_end - extra_begin);

  if (row.kind == RecordKind::write) {
    // Nothing else is required: iot-sim's writes name no point, command echoes no result.
  } else if (row.kind != RecordKind::status) {
    if (row.device.empty()) return "no \"device\"";
    if (row.point.empty()) return "no \"point\"";
  } else if (row.state.empty()) {
    return "no \"state\"";
  }
  return {};
}

void write_row(std::string& out, const Row& r) {
  JsonWriter w(out);
  w.begin_record(from_ms(r.ts_ms), record_kind_name(r.kind));
  auto text = [&](std::string_view name, std::string_view v) {
    if (!v.empty()) w.field(name, v);
  };
  auto value = [&] {
    switch (r.value_tag) {
    case ValueTag::absent: break;
    case ValueTag::null: w.field_null(fields::value); break;
    case ValueTag::number: w.field(fields::value, r.value_num); break;
    case ValueTag::boolean: w.field(fields::value, r.value_bool); break;
    case ValueTag::string: w.field(fields::value, r.value_text); break;
    }
  };
  switch (r.kind) {
  case RecordKind::reading:
    text(fields::port, r.port);
    if (r.has_unit) w.field(fields::unit, static_cast<long long>(r.unit));
    text(fields::device, r.device);
    text(fields::point, r.point);
    text(fields::addr, r.addr);
    value();
    if (!r.raw.empty()) {
      w.key(fields::raw);
      w.raw(r.raw);
    }
    text(fields::uom, r.uom);
    text(fields::quality, r.quality);
    text(fields::error, r.error);
    text(fields::alarm, r.alarm);
    break;
  case RecordKind::alarm:
    text(fields::device, r.device);
    text(fields::point, r.point);
    text(fields::state, r.state);
    text(fields::level, r.level);
    text(fields::type, r.type);
    value();
    if (r.has_limit) w.field(fields::limit, r.limit);
    text(fields::uom, r.uom);
    break;
  case RecordKind::status:
    text(fields::port, r.port);
    if (r.has_unit) w.field(fields::unit, static_cast<long long>(r.unit));
    text(fields::device, r.device);
    text(fields::state, r.state);
    text(fields::reason, r.reason);
    break;
  case RecordKind::write:
    text(fields::port, r.port);
    if (r.has_unit) w.field(fields::unit, static_cast<long long>(r.unit));
    text(fields::device, r.device);
    text(fields::point, r.point);
    text(fields::addr, r.addr);
    if (r.has_fc) w.field(fields::fc, static_cast<long long>(r.fc));
    value();
    if (!r.raw.empty()) {
      w.key(fields::raw);
      w.raw(r.raw);
    }
    if (r.has_ok) w.field(fields::ok, r.ok);
    text(fields::quality, r.quality);
    text(fields::error, r.error);
    if (r.has_latency) w.field(fields::latency_ms, r.latency_ms);
    break;
  default: break;
  }
  w.end_object();
  if (r.extra.size() > 2) {
    // Splice the members of the extra object in as fields of this record
    // (there are always fields before them: ts and kind).
    out.pop_back();
    out.push_back(',');
    out.append(r.extra.substr(1));
  }
}

} // namespace iot::exporter
