#include "iot/record/records.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <type_traits>

namespace iot::record {

namespace f = fields;

void write_value(JsonWriter& w, const Value& v) {
  std::visit(
      [&](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
          w.null();
        else
          w.value(x);
      },
      v);
}

namespace {

void text_if(JsonWriter& w, std::string_view name, std::string_view v) {
  if (!v.empty()) w.field(name, v);
}

void words(JsonWriter& w, std::string_view name, std::span<const std::uint16_t> raw, bool bits) {
  w.key(name);
  w.begin_array();
  for (auto x : raw) {
    if (bits)
      w.value(x != 0);
    else
      w.value(static_cast<unsigned>(x));
  }
  w.end_array();
}

void write_requested(JsonWriter& w, const Write& r) {
  w.key(f::value);
  if (r.value_list) w.begin_array();
  for (const auto& v : r.value)
    write_value(w, v);
  if (r.value_list) w.end_array();
}

} // namespace

void write(JsonWriter& w, const Reading& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::reading));
  text_if(w, f::src, r.src);
  text_if(w, f::port, r.port);
  if (r.unit) w.field(f::unit, *r.unit);
  w.field(f::device, r.device);
  w.field(f::point, r.point);
  text_if(w, f::addr, r.addr);
  w.key(f::value);
  write_value(w, r.value);
  if (!r.raw.empty()) words(w, f::raw, r.raw, r.raw_bits);
  text_if(w, f::uom, r.uom);
  w.field(f::quality, quality_name(r.quality));
  text_if(w, f::error, r.error);
  text_if(w, f::alarm, r.alarm);
  w.end_object();
}

void write(JsonWriter& w, const Status& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::status));
  text_if(w, f::src, r.src);
  text_if(w, f::port, r.port);
  if (r.unit) w.field(f::unit, *r.unit);
  text_if(w, f::device, r.device);
  w.field(f::state, r.state);
  text_if(w, f::reason, r.reason);
  w.end_object();
}

void write(JsonWriter& w, const Alarm& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::alarm));
  text_if(w, f::port, r.port);
  if (r.unit) w.field(f::unit, *r.unit);
  w.field(f::device, r.device);
  w.field(f::point, r.point);
  w.field(f::state, r.state);
  if (r.level.empty())
    w.field_null(f::level);
  else
    w.field(f::level, r.level);
  if (r.previous) w.field(f::previous, *r.previous);
  w.field(f::type, r.type);
  w.field(f::value, r.value);
  w.field(f::limit, r.limit);
  text_if(w, f::uom, r.uom);
  w.end_object();
}

void write(JsonWriter& w, const Write& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::write));
  w.field(f::port, r.port);
  if (r.unit) w.field(f::unit, *r.unit);
  text_if(w, f::device, r.device);
  text_if(w, f::point, r.point);
  text_if(w, f::addr, r.addr);
  if (r.fc) w.field(f::fc, *r.fc);
  if (!r.value.empty()) write_requested(w, r);
  if (!r.raw.empty()) words(w, f::raw, r.raw, false);
  if (r.ok) w.field(f::ok, *r.ok);
  text_if(w, f::quality, r.quality);
  if (r.exception_code) {
    w.key(f::exception);
    w.begin_object();
    w.field(f::code, *r.exception_code);
    w.end_object();
  }
  text_if(w, f::error, r.error);
  if (r.latency_ms) w.field(f::latency_ms, *r.latency_ms);
  text_if(w, f::cause, r.cause);
  if (r.has_points) {
    w.key(f::points);
    w.begin_object();
    for (const auto& [name, v] : r.points) {
      w.key(name);
      write_value(w, v);
    }
    w.end_object();
  }
  w.end_object();
}

std::string write_value_text(const Write& r) {
  if (r.value.empty()) return {};
  std::string out;
  {
    JsonWriter w(out);
    w.begin_object();
    write_requested(w, r);
    w.end_object();
  }
  // {"value":...}
  const std::size_t head = f::value.size() + 4;
  return out.substr(head, out.size() - head - 1);
}

void write(JsonWriter& w, const Frame& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::frame));
  text_if(w, f::src, r.src);
  text_if(w, f::dst, r.dst);
  if (!r.members.empty()) {
    // raw() puts the comma before it and marks the object non-empty, so the members
    // after it are separated too.
    w.raw(r.members);
  } else {
    w.field(f::framing, r.framing);
    w.field(f::direction, r.direction);
    if (r.unit) w.field(f::unit, *r.unit);
    if (r.fc) w.field(f::fc, *r.fc);
    text_if(w, f::fc_name, r.fc_name);
    if (r.addr) w.field(f::addr, *r.addr);
    if (r.count) w.field(f::count, *r.count);
    if (r.crc_ok) w.field(f::crc_ok, *r.crc_ok);
    if (r.tid) w.field(f::tid, *r.tid);
    w.field(f::hex, r.hex);
  }
  text_if(w, f::error, r.error);
  text_if(w, f::port, r.port);
  text_if(w, f::device, r.device);
  if (r.latency_ms) w.field(f::latency_ms, *r.latency_ms);
  text_if(w, f::status, r.status);
  if (!r.faults.empty()) {
    w.key(f::faults);
    w.begin_array();
    for (auto fault : r.faults)
      w.value(fault);
    w.end_array();
  }
  text_if(w, f::reply_hex, r.reply_hex);
  w.end_object();
}

void write(JsonWriter& w, const Mqtt& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::mqtt));
  w.field(f::topic, r.topic);
  switch (r.form) {
  case Mqtt::Form::json:
    w.key(f::payload);
    w.raw(r.payload);
    break;
  case Mqtt::Form::text: w.field(f::payload, r.payload); break;
  case Mqtt::Form::base64: w.field(f::payload_b64, r.payload); break;
  }
  w.field(f::qos, r.qos);
  w.field(f::retain, r.retain);
  if (!r.properties_json.empty()) {
    w.key(f::properties);
    w.raw(r.properties_json);
  }
  text_if(w, f::reason, r.reason);
  w.end_object();
}

void write(JsonWriter& w, const Stats& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::stats));
  w.field(f::tool, r.tool);
  text_if(w, f::command, r.command);
  text_if(w, f::port, r.port);
  text_if(w, f::stream, r.stream);
  for (const Counter& c : r.counters) {
    w.key(c.name);
    std::visit([&](auto v) { w.value(v); }, c.value);
  }
  w.end_object();
}

void write(JsonWriter& w, const Ready& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::ready));
  w.field(f::tool, r.tool);
  w.key(f::endpoints);
  w.begin_array();
  for (const Endpoint& ep : r.endpoints) {
    w.begin_object();
    w.field(f::port, ep.port);
    w.field(f::url, ep.url);
    text_if(w, f::path, ep.path);
    w.field(f::devices, ep.devices);
    w.end_object();
  }
  w.end_array();
  if (r.devices) w.field(f::devices, *r.devices);
  w.end_object();
}

void write(JsonWriter& w, const Ack& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::ack));
  w.field(f::ok, r.ok);
  text_if(w, f::command, r.command);
  text_if(w, f::id, r.id);
  text_if(w, f::device, r.device);
  text_if(w, f::port, r.port);
  text_if(w, f::point, r.point);
  if (r.devices) w.field(f::devices, *r.devices);
  if (r.value) {
    w.key(f::value);
    write_value(w, *r.value);
  }
  text_if(w, f::error, r.error);
  w.end_object();
}

void write(JsonWriter& w, const Scan& r) {
  w.begin_record(r.ts, "scan");
  w.field(f::target, r.target);
  w.field(f::probes, static_cast<unsigned long>(r.probes));
  w.field(f::found, static_cast<unsigned long>(r.found));
  w.field(f::duration_s, std::round(r.duration_s * 1000) / 1000);
  text_if(w, f::stopped, r.stopped);
  w.key(f::settings);
  w.begin_array();
  for (const auto& row : r.settings) {
    w.begin_object();
    w.field(f::settings, row.settings);
    w.field(f::probes, static_cast<unsigned long>(row.probes));
    w.key(f::units);
    w.begin_array();
    for (auto u : row.units)
      w.value(static_cast<unsigned>(u));
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

std::string_view device_object_field(std::uint8_t id) {
  switch (id) {
  case 0x00: return f::vendor_name;
  case 0x01: return f::product_code;
  case 0x02: return f::revision;
  case 0x03: return f::vendor_url;
  case 0x04: return f::product_name;
  case 0x05: return f::model_name;
  case 0x06: return f::user_application_name;
  default: return {};
  }
}

void write(JsonWriter& w, const DeviceInfo& r) {
  static constexpr char k_hex[] = "0123456789abcdef";
  w.begin_record(r.ts, "device_info");
  w.field(f::port, r.port);
  w.field(f::unit, r.unit);
  if (r.conformity) w.field(f::conformity, *r.conformity);
  if (!r.objects.empty()) {
    w.key(f::objects);
    w.begin_object();
    for (const DeviceObject& o : r.objects) {
      const char key[4] = {'0', 'x', k_hex[o.id >> 4], k_hex[o.id & 0xF]};
      w.field(std::string_view(key, 4), o.value); // text from the wire: escaped by the writer
    }
    w.end_object();
    for (const DeviceObject& o : r.objects)
      if (const auto name = device_object_field(o.id); !name.empty()) w.field(name, o.value);
  }
  text_if(w, f::device_id_error, r.device_id_error);
  if (r.server_id) {
    w.key(f::server_id);
    w.value_hex(r.server_id->data(), r.server_id->size());
    if (r.run_indicator) w.field(f::run_indicator, *r.run_indicator);
    text_if(w, f::server_id_text, r.server_id_text);
  }
  text_if(w, f::server_id_error, r.server_id_error);
  w.end_object();
}

void write(JsonWriter& w, const Aggregate& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::aggregate));
  w.field(f::device, r.device);
  w.field(f::point, r.point);
  w.key(f::interval_s);
  std::visit([&](auto v) { w.value(v); }, r.interval_s);
  w.field(f::count, r.count);
  w.field(f::min, r.min);
  w.field(f::max, r.max);
  w.field(f::mean, r.mean);
  w.field(f::last, r.last);
  text_if(w, f::uom, r.uom);
  w.end_object();
}

void write(JsonWriter& w, const Port& r) {
  w.begin_record(r.ts, record_kind_name(RecordKind::port));
  w.field(f::name, r.name);
  text_if(w, f::description, r.description);
  text_if(w, f::transport, r.transport);
  text_if(w, f::usb, r.usb);
  text_if(w, f::manufacturer, r.manufacturer);
  text_if(w, f::product, r.product);
  text_if(w, f::serial, r.serial);
  w.end_object();
}

// ---- readers ----

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Reads the fields of one record, remembering the first problem, which names its field.
class Fields {
public:
  Fields(object obj, std::string_view kind) : m_obj(obj) {
    std::string_view k;
    if (m_obj[f::kind].get_string().get(k) || k != kind) {
      fail(f::kind, "not \"" + std::string(kind) + "\"");
      return;
    }
    std::string_view ts;
    if (m_obj[f::ts].get_string().get(ts)) {
      fail(f::ts, "missing or not a string");
      return;
    }
    const auto t = parse_ts(ts);
    if (!t) {
      fail(f::ts, "not an RFC 3339 time stamp");
      return;
    }
    m_ts = *t;
  }

  TimePoint ts() const { return m_ts; }
  bool ok() const { return m_error.empty(); }
  const std::string& error() const { return m_error; }

  void fail(std::string_view name, std::string_view why) {
    if (m_error.empty()) m_error = "field \"" + std::string(name) + "\": " + std::string(why);
  }

  std::optional<element> get(std::string_view name) {
    element e;
    if (m_obj[name].get(e)) return std::nullopt;
    return e;
  }

  // An optional string ("" when absent); `required` makes absence an error.
  std::string_view text(std::string_view name, bool required = false) {
    auto e = get(name);
    if (!e) {
      if (required) fail(name, "missing");
      return {};
    }
    std::string_view s;
    if (e->get_string().get(s)) fail(name, "not a string");
    return s;
  }

  std::optional<std::uint64_t> natural(std::string_view name, std::uint64_t max, bool required = false) {
    auto e = get(name);
    if (!e) {
      if (required) fail(name, "missing");
      return std::nullopt;
    }
    std::uint64_t v = 0;
    if (e->get_uint64().get(v) || v > max) {
      fail(name, "not an integer 0-" + std::to_string(max));
      return std::nullopt;
    }
    return v;
  }

  std::optional<unsigned> small(std::string_view name, unsigned max, bool required = false) {
    auto v = natural(name, max, required);
    return v ? std::optional<unsigned>(static_cast<unsigned>(*v)) : std::nullopt;
  }

  std::optional<double> number(std::string_view name, bool null_ok, bool required = false) {
    auto e = get(name);
    if (!e) {
      if (required) fail(name, "missing");
      return std::nullopt;
    }
    if (null_ok && e->is_null()) return std::numeric_limits<double>::quiet_NaN();
    double d = 0;
    if (e->is_number() && !e->get_double().get(d)) return d;
    fail(name, null_ok ? "not a number or null" : "not a number");
    return std::nullopt;
  }

  std::optional<bool> boolean(std::string_view name, bool required = false) {
    auto e = get(name);
    if (!e) {
      if (required) fail(name, "missing");
      return std::nullopt;
    }
    bool b = false;
    if (e->get_bool().get(b)) {
      fail(name, "not a boolean");
      return std::nullopt;
    }
    return b;
  }

  // A scalar value (null, boolean, number, string).
  std::optional<Value> value(std::string_view name, element e) {
    switch (e.type()) {
    case element_type::NULL_VALUE: return Value{};
    case element_type::BOOL: return Value{e.get_bool().value_unsafe()};
    case element_type::INT64: return Value{e.get_int64().value_unsafe()};
    case element_type::UINT64: return Value{e.get_uint64().value_unsafe()};
    case element_type::DOUBLE: return Value{e.get_double().value_unsafe()};
    case element_type::STRING: return Value{std::string(e.get_string().value_unsafe())};
    default: fail(name, "not null, a boolean, a number or a string"); return std::nullopt;
    }
  }

  // An array of words (0-65535) or of booleans (bits); false if it is neither.
  bool words(std::string_view name, std::vector<std::uint16_t>& out, bool& bits) {
    out.clear();
    bits = false;
    auto e = get(name);
    if (!e) return true;
    simdjson::dom::array a;
    if (e->get_array().get(a)) {
      fail(name, "not an array");
      return false;
    }
    for (element item : a) {
      std::uint64_t v = 0;
      bool b = false;
      if (!item.get_uint64().get(v) && v <= 0xFFFF) {
        out.push_back(static_cast<std::uint16_t>(v));
      } else if (!item.get_bool().get(b)) {
        out.push_back(b ? 1 : 0);
        bits = true;
      } else {
        fail(name, "not an array of words (0-65535) or bits");
        return false;
      }
    }
    return true;
  }

  object obj() const { return m_obj; }

private:
  object m_obj;
  TimePoint m_ts{};
  std::string m_error;
};

template <typename T> ReadResult<T> done(Fields& in, T&& r) {
  ReadResult<T> out;
  if (in.ok())
    out.record = std::move(r);
  else
    out.error = in.error();
  return out;
}

template <typename T> ReadResult<T> failed(const Fields& in) {
  ReadResult<T> out;
  out.error = in.error();
  return out;
}

std::optional<Quality> quality_from(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(Quality::error); ++i)
    if (quality_name(static_cast<Quality>(i)) == s) return static_cast<Quality>(i);
  return std::nullopt;
}

} // namespace

ReadResult<Reading> read_reading(object obj, ReadScratch& scratch) {
  Fields in(obj, record_kind_name(RecordKind::reading));
  if (!in.ok()) return failed<Reading>(in);
  Reading r;
  r.ts = in.ts();
  r.src = in.text(f::src);
  r.port = in.text(f::port);
  r.unit = in.small(f::unit, 255);
  r.device = in.text(f::device, true);
  r.point = in.text(f::point, true);
  r.addr = in.text(f::addr);
  if (auto e = in.get(f::value)) {
    if (auto v = in.value(f::value, *e)) r.value = std::move(*v);
  } else {
    in.fail(f::value, "missing");
  }
  in.words(f::raw, scratch.words, r.raw_bits);
  r.raw = scratch.words;
  r.uom = in.text(f::uom);
  const std::string_view q = in.text(f::quality, true);
  if (auto quality = quality_from(q))
    r.quality = *quality;
  else if (in.ok())
    in.fail(f::quality, "not one of ok, timeout, crc, exception, offline, error");
  r.error = in.text(f::error);
  r.alarm = in.text(f::alarm);
  return done(in, std::move(r));
}

ReadResult<Status> read_status(object obj) {
  Fields in(obj, record_kind_name(RecordKind::status));
  if (!in.ok()) return failed<Status>(in);
  Status r;
  r.ts = in.ts();
  r.src = in.text(f::src);
  r.port = in.text(f::port);
  r.unit = in.small(f::unit, 255);
  r.device = in.text(f::device);
  r.state = in.text(f::state, true);
  r.reason = in.text(f::reason);
  return done(in, std::move(r));
}

ReadResult<Alarm> read_alarm(object obj) {
  Fields in(obj, record_kind_name(RecordKind::alarm));
  if (!in.ok()) return failed<Alarm>(in);
  Alarm r;
  r.ts = in.ts();
  r.port = in.text(f::port);
  r.unit = in.small(f::unit, 255);
  r.device = in.text(f::device, true);
  r.point = in.text(f::point, true);
  r.state = in.text(f::state, true);
  if (auto e = in.get(f::level); e && !e->is_null())
    r.level = in.text(f::level);
  else if (!e)
    in.fail(f::level, "missing");
  if (in.get(f::previous)) r.previous = in.text(f::previous);
  r.type = in.text(f::type);
  r.value = in.number(f::value, true).value_or(std::numeric_limits<double>::quiet_NaN());
  r.limit = in.number(f::limit, true).value_or(std::numeric_limits<double>::quiet_NaN());
  r.uom = in.text(f::uom);
  return done(in, std::move(r));
}

ReadResult<Write> read_write(object obj, ReadScratch& scratch) {
  Fields in(obj, record_kind_name(RecordKind::write));
  if (!in.ok()) return failed<Write>(in);
  Write r;
  r.ts = in.ts();
  r.port = in.text(f::port);
  r.unit = in.small(f::unit, 255);
  r.device = in.text(f::device);
  r.point = in.text(f::point);
  r.addr = in.text(f::addr);
  r.fc = in.small(f::fc, 127);
  scratch.values.clear();
  if (auto e = in.get(f::value)) {
    simdjson::dom::array a;
    if (!e->get_array().get(a)) {
      r.value_list = true;
      for (element item : a)
        if (auto v = in.value(f::value, item)) scratch.values.push_back(std::move(*v));
    } else if (auto v = in.value(f::value, *e)) {
      scratch.values.push_back(std::move(*v));
    }
  }
  r.value = scratch.values;
  bool bits = false;
  in.words(f::raw, scratch.words, bits);
  r.raw = scratch.words;
  r.ok = in.boolean(f::ok);
  r.quality = in.text(f::quality);
  if (auto e = in.get(f::exception)) {
    object ex;
    std::uint64_t code = 0;
    if (e->get_object().get(ex) || ex[f::code].get_uint64().get(code) || code > 255)
      in.fail(f::exception, "not an object with an integer \"code\"");
    else
      r.exception_code = static_cast<unsigned>(code);
  }
  r.error = in.text(f::error);
  r.latency_ms = in.number(f::latency_ms, false);
  r.cause = in.text(f::cause);
  scratch.points.clear();
  if (auto e = in.get(f::points)) {
    object pts;
    if (e->get_object().get(pts)) {
      in.fail(f::points, "not an object");
    } else {
      r.has_points = true;
      for (auto member : pts)
        if (auto v = in.value(f::points, member.value)) scratch.points.emplace_back(member.key, std::move(*v));
    }
  }
  r.points = scratch.points;
  return done(in, std::move(r));
}

ReadResult<Frame> read_frame(object obj, ReadScratch& scratch) {
  Fields in(obj, record_kind_name(RecordKind::frame));
  if (!in.ok()) return failed<Frame>(in);
  Frame r;
  r.ts = in.ts();
  r.src = in.text(f::src);
  r.dst = in.text(f::dst);
  r.framing = in.text(f::framing, true);
  r.direction = in.text(f::direction, true);
  r.unit = in.small(f::unit, 255);
  r.fc = in.small(f::fc, 127);
  r.fc_name = in.text(f::fc_name);
  r.addr = in.small(f::addr, 65535);
  r.count = in.small(f::count, 65535);
  r.crc_ok = in.boolean(f::crc_ok);
  r.tid = in.small(f::tid, 65535);
  r.hex = in.text(f::hex, true);
  r.error = in.text(f::error);
  r.port = in.text(f::port);
  r.device = in.text(f::device);
  r.latency_ms = in.number(f::latency_ms, false);
  r.status = in.text(f::status);
  scratch.strings.clear();
  if (auto e = in.get(f::faults)) {
    simdjson::dom::array a;
    if (e->get_array().get(a))
      in.fail(f::faults, "not an array");
    else
      for (element item : a) {
        std::string_view s;
        if (item.get_string().get(s)) in.fail(f::faults, "not an array of strings");
        scratch.strings.push_back(s);
      }
  }
  r.faults = scratch.strings;
  r.reply_hex = in.text(f::reply_hex);
  return done(in, std::move(r));
}

ReadResult<Mqtt> read_mqtt(object obj, std::string& buffer) {
  Fields in(obj, record_kind_name(RecordKind::mqtt));
  if (!in.ok()) return failed<Mqtt>(in);
  Mqtt r;
  r.ts = in.ts();
  r.topic = in.text(f::topic, true);
  buffer.clear();
  auto payload = in.get(f::payload);
  auto b64 = in.get(f::payload_b64);
  if (payload && b64) {
    in.fail(f::payload_b64, "given together with \"payload\"");
  } else if (b64) {
    r.form = Mqtt::Form::base64;
    r.payload = in.text(f::payload_b64);
  } else if (payload && payload->is_string()) {
    r.form = Mqtt::Form::text;
    r.payload = payload->get_string().value_unsafe();
  } else if (payload) {
    r.form = Mqtt::Form::json;
    buffer = simdjson::minify(*payload);
    r.payload = buffer;
  }
  r.qos = static_cast<int>(in.small(f::qos, 2).value_or(0));
  r.retain = in.boolean(f::retain).value_or(false);
  if (auto e = in.get(f::properties)) {
    if (!e->is_object()) in.fail(f::properties, "not an object");
    // Kept as text: the properties are MQTT's, not the record format's.
    const std::size_t at = buffer.size();
    buffer += simdjson::minify(*e);
    r.properties_json = std::string_view(buffer).substr(at);
    if (r.form == Mqtt::Form::json) r.payload = std::string_view(buffer).substr(0, at);
  }
  r.reason = in.text(f::reason);
  return done(in, std::move(r));
}

ReadResult<Stats> read_stats(object obj, ReadScratch& scratch) {
  Fields in(obj, record_kind_name(RecordKind::stats));
  if (!in.ok()) return failed<Stats>(in);
  Stats r;
  r.ts = in.ts();
  r.tool = in.text(f::tool, true);
  r.command = in.text(f::command);
  r.port = in.text(f::port);
  r.stream = in.text(f::stream);
  scratch.counters.clear();
  for (auto member : obj) {
    const std::string_view k = member.key;
    if (k == f::ts || k == f::kind || k == f::tool || k == f::command || k == f::port || k == f::stream) continue;
    std::uint64_t u = 0;
    double d = 0;
    if (!member.value.get_uint64().get(u))
      scratch.counters.push_back({k, u});
    else if (member.value.is_number() && !member.value.get_double().get(d))
      scratch.counters.push_back({k, d});
    else
      in.fail(k, "not a count or a number");
  }
  r.counters = scratch.counters;
  return done(in, std::move(r));
}

ReadResult<Ready> read_ready(object obj, ReadScratch& scratch) {
  Fields in(obj, record_kind_name(RecordKind::ready));
  if (!in.ok()) return failed<Ready>(in);
  Ready r;
  r.ts = in.ts();
  r.tool = in.text(f::tool);
  scratch.endpoints.clear();
  simdjson::dom::array a;
  if (auto e = in.get(f::endpoints); !e || e->get_array().get(a)) {
    in.fail(f::endpoints, "missing or not an array");
  } else {
    for (element item : a) {
      object ep;
      Endpoint out;
      std::uint64_t devices = 0;
      if (item.get_object().get(ep) || ep[f::port].get_string().get(out.port) || ep[f::url].get_string().get(out.url)) {
        in.fail(f::endpoints, "an endpoint without \"port\" and \"url\"");
        break;
      }
      if (std::string_view path; !ep[f::path].get_string().get(path)) out.path = path;
      if (!ep[f::devices].get_uint64().get(devices)) out.devices = devices;
      scratch.endpoints.push_back(out);
    }
  }
  r.endpoints = scratch.endpoints;
  r.devices = in.natural(f::devices, UINT64_MAX);
  return done(in, std::move(r));
}

ReadResult<Ack> read_ack(object obj) {
  Fields in(obj, record_kind_name(RecordKind::ack));
  if (!in.ok()) return failed<Ack>(in);
  Ack r;
  r.ts = in.ts();
  r.ok = in.boolean(f::ok, true).value_or(false);
  r.command = in.text(f::command);
  r.id = in.text(f::id);
  r.device = in.text(f::device);
  r.port = in.text(f::port);
  r.point = in.text(f::point);
  r.devices = in.natural(f::devices, UINT64_MAX);
  if (auto e = in.get(f::value)) r.value = in.value(f::value, *e);
  r.error = in.text(f::error);
  return done(in, std::move(r));
}

ReadResult<Scan> read_scan(object obj) {
  Fields in(obj, "scan");
  if (!in.ok()) return failed<Scan>(in);
  Scan r;
  r.ts = in.ts();
  r.target = in.text(f::target, true);
  r.probes = in.natural(f::probes, UINT64_MAX, true).value_or(0);
  r.found = in.natural(f::found, UINT64_MAX, true).value_or(0);
  r.duration_s = in.number(f::duration_s, false, true).value_or(0);
  r.stopped = in.text(f::stopped);
  simdjson::dom::array a;
  if (auto e = in.get(f::settings); !e || e->get_array().get(a)) {
    in.fail(f::settings, "missing or not an array");
  } else {
    for (element item : a) {
      object s;
      Scan::Setting out;
      std::string_view text;
      std::uint64_t probes = 0;
      simdjson::dom::array units;
      if (item.get_object().get(s) || s[f::settings].get_string().get(text) || s[f::probes].get_uint64().get(probes) ||
          s[f::units].get_array().get(units)) {
        in.fail(f::settings, "an entry without \"settings\", \"probes\" and \"units\"");
        break;
      }
      out.settings = text;
      out.probes = probes;
      for (element u : units) {
        std::uint64_t id = 0;
        if (u.get_uint64().get(id) || id > 255) {
          in.fail(f::units, "not an array of unit ids (0-255)");
          break;
        }
        out.units.push_back(static_cast<std::uint8_t>(id));
      }
      r.settings.push_back(std::move(out));
    }
  }
  return done(in, std::move(r));
}

ReadResult<DeviceInfo> read_device_info(object obj, ReadScratch& scratch) {
  Fields in(obj, "device_info");
  if (!in.ok()) return failed<DeviceInfo>(in);
  DeviceInfo r;
  r.ts = in.ts();
  r.port = in.text(f::port, true);
  r.unit = in.small(f::unit, 255, true).value_or(0);
  r.conformity = in.small(f::conformity, 255);
  scratch.objects.clear();
  if (auto e = in.get(f::objects)) {
    object objs;
    if (e->get_object().get(objs)) {
      in.fail(f::objects, "not an object");
    } else {
      for (auto member : objs) {
        const std::string_view k = member.key;
        unsigned id = 0;
        std::string_view v;
        if (k.size() != 4 || !k.starts_with("0x") || std::sscanf(std::string(k).c_str(), "0x%2x", &id) != 1 ||
            member.value.get_string().get(v)) {
          in.fail(f::objects, "not an object of \"0xNN\": text");
          break;
        }
        scratch.objects.push_back({static_cast<std::uint8_t>(id), v});
      }
    }
  }
  r.objects = scratch.objects;
  r.device_id_error = in.text(f::device_id_error);
  if (const std::string_view hex = in.text(f::server_id); !hex.empty() || in.get(f::server_id)) {
    scratch.bytes.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      unsigned b = 0;
      if (i + 1 >= hex.size() || std::sscanf(std::string(hex.substr(i, 2)).c_str(), "%2x", &b) != 1) {
        in.fail(f::server_id, "not lower-case hex");
        break;
      }
      scratch.bytes.push_back(static_cast<std::uint8_t>(b));
    }
    r.server_id = std::span<const std::uint8_t>(scratch.bytes);
  }
  r.run_indicator = in.boolean(f::run_indicator);
  r.server_id_text = in.text(f::server_id_text);
  r.server_id_error = in.text(f::server_id_error);
  return done(in, std::move(r));
}

ReadResult<Aggregate> read_aggregate(object obj) {
  Fields in(obj, record_kind_name(RecordKind::aggregate));
  if (!in.ok()) return failed<Aggregate>(in);
  Aggregate r;
  r.ts = in.ts();
  r.device = in.text(f::device, true);
  r.point = in.text(f::point, true);
  if (auto e = in.get(f::interval_s); e && e->is_int64())
    r.interval_s = e->get_int64().value_unsafe();
  else
    r.interval_s = in.number(f::interval_s, false, true).value_or(0);
  r.count = in.natural(f::count, UINT64_MAX, true).value_or(0);
  r.min = in.number(f::min, false, true).value_or(0);
  r.max = in.number(f::max, false, true).value_or(0);
  r.mean = in.number(f::mean, false, true).value_or(0);
  r.last = in.number(f::last, false, true).value_or(0);
  r.uom = in.text(f::uom);
  return done(in, std::move(r));
}

ReadResult<Port> read_port(object obj) {
  Fields in(obj, record_kind_name(RecordKind::port));
  if (!in.ok()) return failed<Port>(in);
  Port r;
  r.ts = in.ts();
  r.name = in.text(f::name, true);
  r.description = in.text(f::description);
  r.transport = in.text(f::transport);
  r.usb = in.text(f::usb);
  r.manufacturer = in.text(f::manufacturer);
  r.product = in.text(f::product);
  r.serial = in.text(f::serial);
  return done(in, std::move(r));
}

} // namespace iot::record
