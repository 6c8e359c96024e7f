#include "iot/modbus/frame_record.hpp"

#include <string>

namespace iot::modbus {
namespace {

constexpr char k_hex_lower[] = "0123456789abcdef";

// Writes `"name":"<hex>"`; frames are at most 513 bytes, so a stack buffer usually does.
void hex_field(JsonWriter& w, std::string_view name, std::span<const std::uint8_t> bytes) {
  char stack[2 + 2 * 600];
  std::string heap;
  char* buf = stack;
  if (bytes.size() > 600) {
    heap.resize(2 + 2 * bytes.size());
    buf = heap.data();
  }
  std::size_t n = 0;
  buf[n++] = '"';
  for (std::uint8_t b : bytes) {
    buf[n++] = k_hex_lower[b >> 4];
    buf[n++] = k_hex_lower[b & 0xF];
  }
  buf[n++] = '"';
  w.key(name);
  w.raw(std::string_view(buf, n));
}

void write_values(JsonWriter& w, const DecodedPdu& d) {
  if (d.value_kind == ValueKind::none) return;
  w.key("values");
  w.begin_array();
  if (d.value_kind == ValueKind::registers) {
    for (std::size_t i = 0; i < d.value_count; ++i) w.value(static_cast<unsigned>(d.word(i)));
  } else {
    for (std::size_t i = 0; i < d.value_count; ++i) w.value(d.bit(i));
  }
  w.end_array();
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
  const DecodedPdu& d = f.pdu;
  const bool has_pdu = !d.pdu.empty();
  w.field("framing", framing_name(f.adu.framing));
  w.field("direction", direction_name(d.direction));
  if (f.adu.unit) w.field("unit", static_cast<unsigned>(*f.adu.unit));
  if (has_pdu) {
    w.field("fc", static_cast<unsigned>(d.fc));
    w.field("fc_name", fc_name(d.fc));
  }
  if (d.addr) w.field("addr", static_cast<unsigned>(*d.addr));
  if (d.count) w.field("count", static_cast<unsigned>(*d.count));
  if (d.byte_count) w.field("byte_count", static_cast<unsigned>(*d.byte_count));
  if (d.sub_function) w.field("sub_function", static_cast<unsigned>(*d.sub_function));
  if (d.sub_function || !d.data.empty()) hex_field(w, "data", d.data);
  if (d.and_mask) w.field("and_mask", static_cast<unsigned>(*d.and_mask));
  if (d.or_mask) w.field("or_mask", static_cast<unsigned>(*d.or_mask));
  if (d.write_addr) w.field("write_addr", static_cast<unsigned>(*d.write_addr));
  if (d.write_count) w.field("write_count", static_cast<unsigned>(*d.write_count));
  if (!d.write_bytes.empty()) {
    w.key("write_values");
    w.begin_array();
    for (std::size_t i = 0; i + 1 < d.write_bytes.size(); i += 2) w.value(static_cast<unsigned>(d.write_word(i / 2)));
    w.end_array();
  }
  if (!d.server_id.empty()) hex_field(w, "server_id", d.server_id);
  if (d.run_indicator) w.field("run_indicator", *d.run_indicator);
  if (d.mei_type) w.field("mei_type", static_cast<unsigned>(*d.mei_type));
  if (d.read_code) w.field("read_code", static_cast<unsigned>(*d.read_code));
  if (d.object_id) w.field("object_id", static_cast<unsigned>(*d.object_id));
  if (d.conformity) w.field("conformity", static_cast<unsigned>(*d.conformity));
  if (d.more_follows) w.field("more_follows", *d.more_follows);
  if (d.next_object) w.field("next_object", static_cast<unsigned>(*d.next_object));
  if (d.more_follows) {
    w.key("objects");
    w.begin_object();
    for (DeviceIdObject o : d.objects()) {
      const char key[5] = {'0', 'x', k_hex_lower[o.id >> 4], k_hex_lower[o.id & 0xF], 0};
      w.field(std::string_view(key, 4), o.value);
    }
    w.end_object();
  }
  write_values(w, d);
  if (d.exception) {
    w.key("exception");
    w.begin_object();
    w.field("code", static_cast<unsigned>(*d.exception));
    w.field("name", exception_name(*d.exception));
    w.end_object();
  }
  if (f.adu.check_ok) w.field("crc_ok", *f.adu.check_ok);
  if (f.adu.tid) w.field("tid", static_cast<unsigned>(*f.adu.tid));
  hex_field(w, "hex", f.raw);
  if (const std::string_view e = f.error(); !e.empty()) w.field("error", e);
}

void write_frame_record(JsonWriter& w, TimePoint ts, const DecodedFrame& f) {
  w.begin_record(ts, "frame");
  write_frame_fields(w, f);
  w.end_object();
}

bool parse_hex_bytes(std::string_view text, Bytes& out) {
  out.clear();
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  auto separator = [](char c) { return c == ' ' || c == '\t' || c == ',' || c == '-' || c == '\r' || c == '\n'; };
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    if (separator(text[i])) {
      ++i;
      continue;
    }
    if (text[i] == '0' && i + 1 < n && (text[i + 1] == 'x' || text[i + 1] == 'X')) i += 2;
    // A run of digits up to the next separator: pairs, or a single digit.
    std::size_t j = i;
    while (j < n && !separator(text[j])) {
      if (digit(text[j]) < 0) return false;
      ++j;
    }
    const std::size_t len = j - i;
    if (len == 0) return false;
    if (len == 1) {
      out.push_back(static_cast<std::uint8_t>(digit(text[i])));
    } else {
      if (len % 2 != 0) return false;
      for (std::size_t k = i; k < j; k += 2)
        out.push_back(static_cast<std::uint8_t>(digit(text[k]) << 4 | digit(text[k + 1])));
    }
    i = j;
  }
  return true;
}

}  // namespace iot::modbus
