#include "iot/decode/frame_record.hpp"

#include <cstdio>

#include "iot/decode/hex.hpp"
#include "iot/modbus/spec.hpp"

namespace iot::decode {

namespace {
void write_words(JsonWriter& w, std::string_view key, std::span<const std::uint8_t> bytes, std::size_t count) {
  w.key(key);
  w.begin_array();
  for (std::size_t i = 0; i < count && 2 * i + 1 < bytes.size(); ++i)
    w.value(static_cast<unsigned>(bytes[2 * i] << 8 | bytes[2 * i + 1]));
  w.end_array();
}

void write_bits(JsonWriter& w, std::span<const std::uint8_t> bytes, std::size_t count) {
  w.key("values");
  w.begin_array();
  for (std::size_t i = 0; i < count && i / 8 < bytes.size(); ++i) w.value(((bytes[i / 8] >> (i % 8)) & 1u) != 0);
  w.end_array();
}

void write_hex_field(JsonWriter& w, std::string_view key, std::span<const std::uint8_t> bytes) {
  std::string hex;
  append_hex(hex, bytes.data(), bytes.size());
  w.field(key, hex);
}
}  // namespace

void write_frame_record(JsonWriter& w, TimePoint ts, std::span<const std::uint8_t> bytes, const modbus::AduView& adu,
                        const modbus::DecodedPdu& pdu, const FrameRecordExtras& extras) {
  w.begin_record(ts, "frame");
  if (!extras.port.empty()) w.field("port", extras.port);
  if (!extras.src.empty()) w.field("src", extras.src);
  if (!extras.dst.empty()) w.field("dst", extras.dst);
  w.field("framing", modbus::framing_name(adu.framing));
  const bool decoded = !pdu.pdu.empty();
  w.field("direction", modbus::direction_name(decoded ? pdu.direction : modbus::Direction::unknown));
  if (adu.unit) w.field("unit", static_cast<unsigned>(*adu.unit));
  if (adu.tid) w.field("tid", static_cast<unsigned>(*adu.tid));
  if (decoded) {
    w.field("fc", static_cast<unsigned>(pdu.fc));
    w.field("fc_name", modbus::fc_name(pdu.fc));
    if (pdu.addr) w.field("addr", static_cast<unsigned>(*pdu.addr));
    if (pdu.count) w.field("count", static_cast<unsigned>(*pdu.count));
    if (pdu.exception) {
      w.key("exception");
      w.begin_object();
      w.field("code", static_cast<unsigned>(*pdu.exception));
      w.field("name", modbus::exception_name(*pdu.exception));
      w.end_object();
    }
    if (pdu.value_kind == modbus::ValueKind::registers) write_words(w, "values", pdu.value_bytes, pdu.value_count);
    else if (pdu.value_kind == modbus::ValueKind::bits) write_bits(w, pdu.value_bytes, pdu.value_count);
    if (pdu.sub_function) {
      w.field("sub_function", static_cast<unsigned>(*pdu.sub_function));
      write_hex_field(w, "data", pdu.data);
    }
    if (pdu.and_mask) w.field("and_mask", static_cast<unsigned>(*pdu.and_mask));
    if (pdu.or_mask) w.field("or_mask", static_cast<unsigned>(*pdu.or_mask));
    if (pdu.write_addr) w.field("write_addr", static_cast<unsigned>(*pdu.write_addr));
    if (pdu.write_count) {
      w.field("write_count", static_cast<unsigned>(*pdu.write_count));
      write_words(w, "write_values", pdu.write_bytes, *pdu.write_count);
    }
    if (pdu.fc == 0x11 && pdu.direction == modbus::Direction::response && !pdu.is_exception()) {
      write_hex_field(w, "server_id", pdu.server_id);
      if (pdu.run_indicator) w.field("run_indicator", *pdu.run_indicator);
    }
    if (pdu.mei_type) {
      w.field("mei_type", static_cast<unsigned>(*pdu.mei_type));
      if (pdu.read_code) w.field("read_code", static_cast<unsigned>(*pdu.read_code));
      if (pdu.object_id) w.field("object_id", static_cast<unsigned>(*pdu.object_id));
      if (pdu.conformity) w.field("conformity", static_cast<unsigned>(*pdu.conformity));
      if (pdu.more_follows) w.field("more_follows", *pdu.more_follows);
      if (pdu.next_object) w.field("next_object", static_cast<unsigned>(*pdu.next_object));
      if (pdu.object_count > 0) {
        w.key("objects");
        w.begin_object();
        char id[8];
        for (const modbus::DeviceIdObject& o : pdu.objects()) {
          std::snprintf(id, sizeof id, "0x%02x", o.id);
          w.field(id, o.value);
        }
        w.end_object();
      }
    }
  }
  if (adu.check_ok) w.field("crc_ok", *adu.check_ok);
  if (extras.latency_ms) w.field("latency_ms", *extras.latency_ms);
  std::string_view error = !adu.error.empty() ? adu.error : pdu.error;
  if (!error.empty()) w.field("error", error);
  w.key("hex");
  w.value_hex(bytes.data(), bytes.size());
  w.end_object();
}

}  // namespace iot::decode
