#include "iot/modbus/frame_record.hpp"

#include "iot/core/hex.hpp"

#include <array>
#include <string>

namespace iot::modbus {
namespace {

constexpr char k_hex_lower[] = "0123456789abcdef";

// Builds the members of a frame record as JSON text. iot-decode writes a million of these a
// second, so the members are formatted here, in a reused buffer, and handed to the JsonWriter
// in one raw() call instead of a key()/value() call per field: the keys are fixed ASCII and
// most values numbers, so escaping and per-call bookkeeping would dominate the cost. Only text
// from the wire (device identification objects) goes through append_json_string.
class Members {
public:
  explicit Members(std::string& out) : m_out(out) { m_out.clear(); }

  void key(std::string_view name) {
    if (m_any) m_out.push_back(',');
    m_any = true;
    m_out.push_back('"');
    m_out.append(name);
    m_out.append("\":", 2);
  }
  void number(unsigned v) {
    char buf[12];
    char* end = buf + sizeof buf;
    char* p = end;
    do {
      *--p = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    m_out.append(p, static_cast<std::size_t>(end - p));
  }
  void boolean(bool b) { b ? m_out.append("true", 4) : m_out.append("false", 5); }
  // A string known to need no escaping (our own names).
  void plain(std::string_view s) {
    m_out.push_back('"');
    m_out.append(s);
    m_out.push_back('"');
  }
  void hex(std::span<const std::uint8_t> bytes) {
    const std::size_t at = m_out.size();
    m_out.resize(at + 2 + 2 * bytes.size());
    char* p = m_out.data() + at;
    *p++ = '"';
    for (std::uint8_t b : bytes) {
      *p++ = k_hex_lower[b >> 4];
      *p++ = k_hex_lower[b & 0xF];
    }
    *p = '"';
  }
  void field(std::string_view name, unsigned v) {
    key(name);
    number(v);
  }
  void field(std::string_view name, bool v) {
    key(name);
    boolean(v);
  }
  void field(std::string_view name, std::string_view plain_text) {
    key(name);
    plain(plain_text);
  }
  void hex_field(std::string_view name, std::span<const std::uint8_t> bytes) {
    key(name);
    hex(bytes);
  }
  std::string& out() { return m_out; }

private:
  std::string& m_out;
  bool m_any = false;
};

void write_words(Members& m, std::string_view name, std::span<const std::uint8_t> bytes, std::size_t count) {
  m.key(name);
  std::string& out = m.out();
  out.push_back('[');
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out.push_back(',');
    m.number(static_cast<unsigned>(bytes[2 * i] << 8 | bytes[2 * i + 1]));
  }
  out.push_back(']');
}

void write_values(Members& m, const DecodedPdu& d) {
  if (d.value_kind == ValueKind::registers) {
    write_words(m, "values", d.value_bytes, d.value_count);
  } else if (d.value_kind == ValueKind::bits) {
    m.key("values");
    std::string& out = m.out();
    out.push_back('[');
    for (std::size_t i = 0; i < d.value_count; ++i) {
      if (i) out.push_back(',');
      m.boolean(d.bit(i));
    }
    out.push_back(']');
  }
}

void write_members(Members& m, const DecodedFrame& f) {
  const DecodedPdu& d = f.pdu;
  m.field("framing", framing_name(f.adu.framing));
  m.field("direction", direction_name(d.direction));
  if (f.adu.unit) m.field("unit", static_cast<unsigned>(*f.adu.unit));
  if (!d.pdu.empty()) {
    m.field("fc", static_cast<unsigned>(d.fc));
    m.field("fc_name", fc_name(d.fc));
  }
  if (d.addr) m.field("addr", static_cast<unsigned>(*d.addr));
  if (d.count) m.field("count", static_cast<unsigned>(*d.count));
  if (d.byte_count) m.field("byte_count", static_cast<unsigned>(*d.byte_count));
  if (d.sub_function) m.field("sub_function", static_cast<unsigned>(*d.sub_function));
  if (d.sub_function || !d.data.empty()) m.hex_field("data", d.data);
  if (d.and_mask) m.field("and_mask", static_cast<unsigned>(*d.and_mask));
  if (d.or_mask) m.field("or_mask", static_cast<unsigned>(*d.or_mask));
  if (d.write_addr) m.field("write_addr", static_cast<unsigned>(*d.write_addr));
  if (d.write_count) m.field("write_count", static_cast<unsigned>(*d.write_count));
  if (!d.write_bytes.empty()) write_words(m, "write_values", d.write_bytes, d.write_bytes.size() / 2);
  if (!d.server_id.empty()) m.hex_field("server_id", d.server_id);
  if (d.run_indicator) m.field("run_indicator", *d.run_indicator);
  if (d.mei_type) m.field("mei_type", static_cast<unsigned>(*d.mei_type));
  if (d.read_code) m.field("read_code", static_cast<unsigned>(*d.read_code));
  if (d.object_id) m.field("object_id", static_cast<unsigned>(*d.object_id));
  if (d.conformity) m.field("conformity", static_cast<unsigned>(*d.conformity));
  if (d.more_follows) m.field("more_follows", *d.more_follows);
  if (d.next_object) m.field("next_object", static_cast<unsigned>(*d.next_object));
  if (d.more_follows) {
    m.key("objects");
    std::string& out = m.out();
    out.push_back('{');
    bool first = true;
    for (DeviceIdObject o : d.objects()) {
      if (!first) out.push_back(',');
      first = false;
      const char key[6] = {'"', '0', 'x', k_hex_lower[o.id >> 4], k_hex_lower[o.id & 0xF], '"'};
      out.append(key, 6);
      out.push_back(':');
      append_json_string(out, o.value);  // text from the wire: escaped, invalid UTF-8 replaced
    }
    out.push_back('}');
  }
  write_values(m, d);
  if (d.exception) {
    m.key("exception");
    m.out().append("{\"code\":", 8);
    m.number(*d.exception);
    m.out().append(",\"name\":", 8);
    m.plain(exception_name(*d.exception));
    m.out().push_back('}');
  }
  if (f.adu.check_ok) m.field("crc_ok", *f.adu.check_ok);
  if (f.adu.tid) m.field("tid", static_cast<unsigned>(*f.adu.tid));
  m.hex_field("hex", f.raw);
  if (const std::string_view e = f.error(); !e.empty()) m.field("error", e);  // our own static texts
}

}  // namespace

void decode_frame(std::span<const std::uint8_t> bytes, std::optional<Framing> framing, Direction dir,
                  DecodedFrame& out) noexcept {
  out.raw = bytes;
  const Framing f = framing ? *framing : detect_framing(bytes).value_or(Framing::rtu);
  out.adu = unwrap_adu(bytes, f, &out.scratch);
  decode_pdu(out.adu.pdu, dir, out.pdu);
}

void write_frame_fields(JsonWriter& w, const DecodedFrame& f) {
  // One buffer per thread, reused: no allocation per frame once it has grown.
  thread_local std::string buffer;
  Members m(buffer);
  write_members(m, f);
  // raw() puts the comma that separates it from the members before (ts, kind) and marks the
  // object non-empty, so members the caller adds afterwards are separated too.
  w.raw(buffer);
}

void write_frame_record(JsonWriter& w, TimePoint ts, const DecodedFrame& f) {
  w.begin_record(ts, "frame");
  write_frame_fields(w, f);
  w.end_object();
}


bool parse_hex_bytes(std::string_view text, Bytes& out) {
  out.assign(text.size() / 2 + 1, 0);
  HexResult r = parse_hex(text, out.data(), out.size());
  out.resize(r.error.empty() ? r.size : 0);
  return r.error.empty() || (r.size == 0 && text.find_first_not_of(" \t,;:-") == std::string_view::npos);
}

}  // namespace iot::modbus
