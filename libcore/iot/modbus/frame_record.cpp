#include "iot/modbus/frame_record.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <string>

#include "iot/core/hex.hpp"
#include "iot/record/fields.hpp"
#include "iot/record/records.hpp"

namespace iot::modbus {
namespace {

namespace f = fields;

constexpr char k_hex_lower[] = "0123456789abcdef";

// Builds the members of a frame record as JSON text. iot-decode writes a million of these a
// second, so the members are formatted here, in a reused buffer, and handed to the JsonWriter
// in one raw() call instead of a key()/value() call per field: the keys are fixed ASCII and
// most values numbers, so escaping and per-call bookkeeping would dominate the cost. Only text
// from the wire (device identification objects) goes through append_json_string.
class Members {
public:
  // `out` must have room for everything written (see members_bound).
  explicit Members(char* out) : m_begin(out), m_p(out) {}

  void key(std::string_view name) {
    if (m_any) *m_p++ = ',';
    m_any = true;
    *m_p++ = '"';
    put(name);
    *m_p++ = '"';
    *m_p++ = ':';
  }
  // `"name":` inside a nested object, after a comma unless it is the first member there.
  void member_key(std::string_view name, bool comma) {
    if (comma) *m_p++ = ',';
    *m_p++ = '"';
    put(name);
    *m_p++ = '"';
    *m_p++ = ':';
  }
  void put(std::string_view s) {
    std::memcpy(m_p, s.data(), s.size());
    m_p += s.size();
  }
  void put(char c) { *m_p++ = c; }
  void number(unsigned v) {
    char buf[12];
    char* end = buf + sizeof buf;
    char* q = end;
    do {
      *--q = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    put(std::string_view(q, static_cast<std::size_t>(end - q)));
  }
  void boolean(bool b) { put(b ? std::string_view("true") : std::string_view("false")); }
  // A string known to need no escaping (our own names).
  void plain(std::string_view s) {
    *m_p++ = '"';
    put(s);
    *m_p++ = '"';
  }
  void hex(std::span<const std::uint8_t> bytes) {
    *m_p++ = '"';
    for (std::uint8_t b : bytes) {
      *m_p++ = k_hex_lower[b >> 4];
      *m_p++ = k_hex_lower[b & 0xF];
    }
    *m_p++ = '"';
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
  std::size_t size() const { return static_cast<std::size_t>(m_p - m_begin); }

private:
  char* m_begin;
  char* m_p;
  bool m_any = false;
};

// Most bytes the members of `f` can take: fixed fields, numbers of up to 6 characters per
// value, bits of up to 6 ("false,"), hex at 2 per byte, and wire text escaped at up to 6 per
// byte ("\u001f").
std::size_t members_bound(const DecodedFrame& f) {
  const DecodedPdu& d = f.pdu;
  return 1024 + 6 * static_cast<std::size_t>(d.value_count) + 3 * d.write_bytes.size() + 2 * f.raw.size() +
         2 * (d.data.size() + d.server_id.size()) + 6 * d.object_bytes.size() + 8 * d.object_count;
}

void write_words(Members& m, std::string_view name, std::span<const std::uint8_t> bytes, std::size_t count) {
  m.key(name);
  m.put('[');
  for (std::size_t i = 0; i < count; ++i) {
    if (i) m.put(',');
    m.number(static_cast<unsigned>(bytes[2 * i] << 8 | bytes[2 * i + 1]));
  }
  m.put(']');
}

void write_values(Members& m, const DecodedPdu& d) {
  if (d.value_kind == ValueKind::registers) {
    write_words(m, f::values, d.value_bytes, d.value_count);
  } else if (d.value_kind == ValueKind::bits) {
    m.key(f::values);
    m.put('[');
    for (std::size_t i = 0; i < d.value_count; ++i) {
      if (i) m.put(',');
      m.boolean(d.bit(i));
    }
    m.put(']');
  }
}

void write_members(Members& m, const DecodedFrame& f) {
  const DecodedPdu& d = f.pdu;
  m.field(f::framing, framing_name(f.adu.framing));
  m.field(f::direction, direction_name(d.direction));
  if (f.adu.unit) m.field(f::unit, static_cast<unsigned>(*f.adu.unit));
  if (!d.pdu.empty()) {
    m.field(f::fc, static_cast<unsigned>(d.fc));
    m.field(f::fc_name, fc_name(d.fc));
  }
  if (d.addr) m.field(f::addr, static_cast<unsigned>(*d.addr));
  if (d.count) m.field(f::count, static_cast<unsigned>(*d.count));
  if (d.byte_count) m.field(f::byte_count, static_cast<unsigned>(*d.byte_count));
  if (d.sub_function) m.field(f::sub_function, static_cast<unsigned>(*d.sub_function));
  if (d.sub_function || !d.data.empty()) m.hex_field(f::data, d.data);
  if (d.and_mask) m.field(f::and_mask, static_cast<unsigned>(*d.and_mask));
  if (d.or_mask) m.field(f::or_mask, static_cast<unsigned>(*d.or_mask));
  if (d.write_addr) m.field(f::write_addr, static_cast<unsigned>(*d.write_addr));
  if (d.write_count) m.field(f::write_count, static_cast<unsigned>(*d.write_count));
  if (!d.write_bytes.empty()) write_words(m, f::write_values, d.write_bytes, d.write_bytes.size() / 2);
  if (!d.server_id.empty()) m.hex_field(f::server_id, d.server_id);
  if (d.run_indicator) m.field(f::run_indicator, *d.run_indicator);
  if (d.mei_type) m.field(f::mei_type, static_cast<unsigned>(*d.mei_type));
  if (d.read_code) m.field(f::read_code, static_cast<unsigned>(*d.read_code));
  if (d.object_id) m.field(f::object_id, static_cast<unsigned>(*d.object_id));
  if (d.conformity) m.field(f::conformity, static_cast<unsigned>(*d.conformity));
  if (d.more_follows) m.field(f::more_follows, *d.more_follows);
  if (d.next_object) m.field(f::next_object, static_cast<unsigned>(*d.next_object));
  if (d.more_follows) {
    m.key(f::objects);
    m.put('{');
    bool first = true;
    thread_local std::string escaped;
    for (DeviceIdObject o : d.objects()) {
      if (!first) m.put(',');
      first = false;
      const char key[7] = {'"', '0', 'x', k_hex_lower[o.id >> 4], k_hex_lower[o.id & 0xF], '"', ':'};
      m.put(std::string_view(key, 7));
      escaped.clear();
      append_json_string(escaped, o.value); // text from the wire: escaped, invalid UTF-8 replaced
      m.put(escaped);
    }
    m.put('}');
  }
  write_values(m, d);
  if (d.exception) {
    m.key(f::exception);
    m.put('{');
    m.member_key(f::code, false);
    m.number(*d.exception);
    m.member_key(f::name, true);
    m.plain(exception_name(*d.exception));
    m.put('}');
  }
  if (f.adu.check_ok) m.field(f::crc_ok, *f.adu.check_ok);
  if (f.adu.tid) m.field(f::tid, static_cast<unsigned>(*f.adu.tid));
  m.hex_field(f::hex, f.raw);
  if (const std::string_view e = f.error(); !e.empty()) m.field(f::error, e); // our own static texts
}

} // namespace

void decode_frame(std::span<const std::uint8_t> bytes, std::optional<Framing> framing, Direction dir,
                  DecodedFrame& out) noexcept {
  out.raw = bytes;
  const Framing f = framing ? *framing : detect_framing(bytes).value_or(Framing::rtu);
  out.adu = unwrap_adu(bytes, f, &out.scratch);
  decode_pdu(out.adu.pdu, dir, out.pdu);
}

bool FramePairer::pair(DecodedFrame& f) {
  DecodedPdu& d = f.pdu;
  if (d.pdu.empty() || !f.adu.unit) return false;
  const bool same = m_have && m_unit == *f.adu.unit && m_size > 0 && (m_pdu[0] & 0x7F) == d.fc &&
                    (!m_tid || !f.adu.tid || *m_tid == *f.adu.tid);
  if (same && d.direction != Direction::request) {
    const DecodedPdu request = decode_pdu(std::span<const std::uint8_t>(m_pdu.data(), m_size), Direction::request);
    pair_with_request(d, request);
    d.direction = Direction::response;
    m_have = false;
    return true;
  }
  if (d.direction != Direction::response && !d.exception && d.pdu.size() <= m_pdu.size()) {
    if (d.direction == Direction::unknown) d.direction = Direction::request;
    std::copy(d.pdu.begin(), d.pdu.end(), m_pdu.begin());
    m_size = d.pdu.size();
    m_unit = *f.adu.unit;
    m_tid = f.adu.tid;
    m_have = true;
  }
  return false;
}

std::string_view frame_members(const DecodedFrame& f) {
  // One buffer per thread, grown to the largest record seen: no allocation per frame.
  thread_local std::string buffer;
  const std::size_t bound = members_bound(f);
  if (buffer.size() < bound) buffer.resize(bound);
  Members m(buffer.data());
  write_members(m, f);
  if (m.size() > bound) std::abort(); // members_bound is wrong: memory is already corrupt
  return std::string_view(buffer.data(), m.size());
}

void write_frame_fields(JsonWriter& w, const DecodedFrame& f) {
  // raw() puts the comma that separates it from the members before (ts, kind) and marks the
  // object non-empty, so members the caller adds afterwards are separated too.
  w.raw(frame_members(f));
}

void write_frame_record(JsonWriter& w, TimePoint ts, const DecodedFrame& f) {
  record::Frame rec;
  rec.ts = ts;
  rec.members = frame_members(f);
  record::write(w, rec);
}

bool parse_hex_bytes(std::string_view text, Bytes& out) {
  out.assign(text.size() / 2 + 1, 0);
  HexResult r = parse_hex(text, out.data(), out.size());
  out.resize(r.error.empty() ? r.size : 0);
  return r.error.empty() || (r.size == 0 && text.find_first_not_of(" \t,;:-\r\n") == std::string_view::npos);
}

} // namespace iot::modbus
