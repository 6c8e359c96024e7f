#include "iot/export/row.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <span>

#include "iot/record/fields.hpp"
#include "iot/record/json_writer.hpp"

namespace iot::exporter {

namespace {

constexpr std::int64_t k_exact_int = std::int64_t{1} << 53;

using Field = RowField;

// The record fields a row holds, with the row member of the text ones.
struct FieldInfo {
  Field field;
  std::string_view name;
  std::string_view Row::*text = nullptr;
};
constexpr FieldInfo k_fields[] = {{Field::ts, fields::ts},
                                  {Field::kind, fields::kind},
                                  {Field::device, fields::device, &Row::device},
                                  {Field::point, fields::point, &Row::point},
                                  {Field::port, fields::port, &Row::port},
                                  {Field::addr, fields::addr, &Row::addr},
                                  {Field::uom, fields::uom, &Row::uom},
                                  {Field::quality, fields::quality, &Row::quality},
                                  {Field::error, fields::error, &Row::error},
                                  {Field::alarm, fields::alarm, &Row::alarm},
                                  {Field::state, fields::state, &Row::state},
                                  {Field::level, fields::level, &Row::level},
                                  {Field::type, fields::type, &Row::type},
                                  {Field::reason, fields::reason, &Row::reason},
                                  {Field::unit, fields::unit},
                                  {Field::value, fields::value},
                                  {Field::limit, fields::limit},
                                  {Field::raw, fields::raw},
                                  {Field::fc, fields::fc},
                                  {Field::ok, fields::ok},
                                  {Field::latency_ms, fields::latency_ms}};

} // namespace

std::string_view Row::*text_member(RowField f) {
  for (const FieldInfo& t : k_fields)
    if (t.field == f) return t.text;
  return nullptr;
}

RowField row_field(std::string_view k) {
  for (const FieldInfo& f : k_fields)
    if (f.name == k) return f.field;
  return Field::other;
}

namespace {

// The fields of each kind that have a column (docs/storage.md), in the order
// of docs/record-format.md.
constexpr Field k_reading_fields[] = {Field::port, Field::unit, Field::device,  Field::point, Field::addr, Field::value,
                                      Field::raw,  Field::uom,  Field::quality, Field::error, Field::alarm};
constexpr Field k_alarm_fields[] = {Field::device, Field::point, Field::state, Field::level,
                                    Field::type,   Field::value, Field::limit, Field::uom};
constexpr Field k_status_fields[] = {Field::port, Field::unit, Field::device, Field::state, Field::reason};
constexpr Field k_write_fields[] = {Field::port, Field::unit,    Field::device, Field::point,
                                    Field::addr, Field::fc,      Field::value,  Field::raw,
                                    Field::ok,   Field::quality, Field::error,  Field::latency_ms};

std::span<const Field> fields_of(RecordKind kind) {
  switch (kind) {
  case RecordKind::reading: return k_reading_fields;
  case RecordKind::alarm: return k_alarm_fields;
  case RecordKind::status: return k_status_fields;
  case RecordKind::write: return k_write_fields;
  default: return {};
  }
}

// Whether the column `f` exists for records of `kind`.
bool has_column(RecordKind kind, Field f) {
  auto fields = fields_of(kind);
  return std::find(fields.begin(), fields.end(), f) != fields.end();
}

const FieldInfo* text_field(Field f) {
  for (const FieldInfo& t : k_fields)
    if (t.field == f) return t.text ? &t : nullptr;
  return nullptr;
}

// Writes field `f` of `r` if the row has it (the text fields are not empty).
void write_field(JsonWriter& w, const Row& r, Field f) {
  if (const FieldInfo* t = text_field(f)) {
    if (!(r.*t->text).empty()) w.field(t->name, r.*t->text);
    return;
  }
  switch (f) {
  case Field::unit:
    if (r.has_unit) w.field(fields::unit, static_cast<long long>(r.unit));
    break;
  case Field::fc:
    if (r.has_fc) w.field(fields::fc, static_cast<long long>(r.fc));
    break;
  case Field::limit:
    if (r.has_limit) w.field(fields::limit, r.limit);
    break;
  case Field::ok:
    if (r.has_ok) w.field(fields::ok, r.ok);
    break;
  case Field::latency_ms:
    if (r.has_latency) w.field(fields::latency_ms, r.latency_ms);
    break;
  case Field::raw:
    if (r.raw.empty()) break;
    w.key(fields::raw);
    w.raw(r.raw);
    break;
  case Field::value:
    switch (r.value_tag) {
    case ValueTag::absent: break;
    case ValueTag::null: w.field_null(fields::value); break;
    case ValueTag::number: w.field(fields::value, r.value_num); break;
    case ValueTag::boolean: w.field(fields::value, r.value_bool); break;
    case ValueTag::string: w.field(fields::value, r.value_text); break;
    }
    break;
  default: break;
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

// Appends `items` between `open` and `close`, separated by commas, each by `append_item`.
template <class Items, class AppendItem>
void append_list(std::string& out, char open, char close, Items items, const AppendItem& append_item) {
  out.push_back(open);
  bool first = true;
  for (auto item : items) {
    if (!first) out.push_back(',');
    first = false;
    append_item(item);
  }
  out.push_back(close);
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
  case T::ARRAY:
    append_list(out, '[', ']', e.get_array().value_unsafe(),
                [&out](simdjson::dom::element item) { append_json(out, item); });
    return;
  case T::OBJECT:
    append_list(out, '{', '}', e.get_object().value_unsafe(), [&out](simdjson::dom::key_value_pair field) {
      append_json_string(out, field.key);
      out.push_back(':');
      append_json(out, field.value);
    });
    return;
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
    Field f = row_field(field.key);
    if (f == Field::ts || f == Field::kind) continue;
    bool taken = false;
    if (f != Field::other && has_column(row.kind, f)) {
      T t = field.value.type();
      if (const FieldInfo* col = text_field(f)) {
        std::string_view s;
        if (t == T::STRING && !field.value.get_string().get(s) && !s.empty()) {
          row.*col->text = s;
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
  for (Field f : fields_of(r.kind))
    write_field(w, r, f);
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
