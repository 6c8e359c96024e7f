#include "iot/modbus/pdu.hpp"

#include <algorithm>

#include "iot/core/error.hpp"

namespace iot::modbus {
namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

void put16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

bool range_ok(std::uint16_t addr, std::uint16_t count) { return std::uint32_t{addr} + count <= k_address_space; }

// Checks a quantity against [1, max] and the address space; returns an error or "".
std::string_view check_quantity(std::uint16_t addr, std::uint16_t count, std::uint16_t max) {
  if (count < 1 || count > max) {
    switch (max) {
    case k_max_read_bits: return "quantity out of range 1-2000";
    case k_max_read_registers: return "quantity out of range 1-125";
    case k_max_write_coils: return "quantity out of range 1-1968";
    case k_max_write_registers: return "quantity out of range 1-123";
    case k_max_rw_write_registers: return "write quantity out of range 1-121";
    default: return "quantity out of range";
    }
  }
  if (!range_ok(addr, count)) return "address + quantity beyond 65536";
  return {};
}

std::string_view length_error(std::size_t have, std::size_t want) {
  return have < want ? std::string_view("PDU too short") : std::string_view("PDU too long");
}

void decode_read(std::span<const std::uint8_t> p, Direction dir, DecodedPdu& out) {
  const bool bits = out.fc <= 0x02;
  const std::uint16_t max = bits ? k_max_read_bits : k_max_read_registers;
  if (dir == Direction::unknown) {
    const bool req = p.size() == 5;
    const bool resp = p.size() >= 3 && p.size() == 2u + p[1] && (bits || p[1] % 2 == 0);
    if (req && resp) {
      // Only FC 01/02 with byte count 3: a valid request wins (documented in pdu.hpp).
      dir = check_quantity(be16(&p[1]), be16(&p[3]), max).empty() ? Direction::request : Direction::response;
    } else if (req) {
      dir = Direction::request;
    } else if (resp) {
      dir = Direction::response;
    } else {
      out.error = "length fits neither a request nor a response";
      return;
    }
  }
  out.direction = dir;
  if (dir == Direction::request) {
    if (p.size() != 5) {
      out.error = length_error(p.size(), 5);
      return;
    }
    out.addr = be16(&p[1]);
    out.count = be16(&p[3]);
    out.error = check_quantity(*out.addr, *out.count, max);
    return;
  }
  if (p.size() < 2) {
    out.error = "PDU too short";
    return;
  }
  const std::uint8_t bc = p[1];
  out.byte_count = bc;
  if (p.size() != 2u + bc) {
    out.error = "byte count does not match length";
    return;
  }
  if (bc == 0) {
    out.error = "byte count is 0";
    return;
  }
  if (bits) {
    if (bc > (k_max_read_bits + 7) / 8) {
      out.error = "byte count above 250 (2000 bits)";
      return;
    }
    out.value_kind = ValueKind::bits;
    out.value_count = static_cast<std::uint16_t>(bc * 8);
  } else {
    if (bc % 2 != 0) {
      out.error = "odd byte count";
      return;
    }
    if (bc > 2 * k_max_read_registers) {
      out.error = "byte count above 250 (125 registers)";
      return;
    }
    out.value_kind = ValueKind::registers;
    out.value_count = static_cast<std::uint16_t>(bc / 2);
    out.count = out.value_count;
  }
  out.value_bytes = p.subspan(2);
}

void decode_write_single(std::span<const std::uint8_t> p, DecodedPdu& out) {
  if (p.size() != 5) {
    out.error = length_error(p.size(), 5);
    return;
  }
  out.addr = be16(&p[1]);
  const std::uint16_t v = be16(&p[3]);
  if (out.fc == 0x05) {
    if (v != k_coil_on && v != k_coil_off) {
      out.error = "coil value must be 0xFF00 or 0x0000";
      return;
    }
    // The first value byte is 0xFF or 0x00: read as packed bits, its bit 0 is the coil.
    out.value_kind = ValueKind::bits;
  } else {
    out.value_kind = ValueKind::registers;
  }
  out.value_count = 1;
  out.value_bytes = p.subspan(3, out.fc == 0x05 ? 1 : 2);
}

// FC 07, 0B, 0C, 11: a request is the function code alone.
bool decide_by_single_byte_request(std::span<const std::uint8_t> p, Direction& dir, DecodedPdu& out) {
  if (dir == Direction::unknown) dir = p.size() == 1 ? Direction::request : Direction::response;
  out.direction = dir;
  if (dir == Direction::request) {
    if (p.size() != 1) out.error = "PDU too long";
    return false;
  }
  return true;
}

void decode_write_multiple(std::span<const std::uint8_t> p, Direction dir, DecodedPdu& out) {
  const bool coils = out.fc == 0x0F;
  const std::uint16_t max = coils ? k_max_write_coils : k_max_write_registers;
  if (dir == Direction::unknown) dir = p.size() == 5 ? Direction::response : Direction::request;
  out.direction = dir;
  if (p.size() < 5) {
    out.error = "PDU too short";
    return;
  }
  out.addr = be16(&p[1]);
  out.count = be16(&p[3]);
  if (dir == Direction::response) {
    if (p.size() != 5) {
      out.error = "PDU too long";
      return;
    }
    out.error = check_quantity(*out.addr, *out.count, max);
    return;
  }
  if (p.size() < 6) {
    out.error = "PDU too short";
    return;
  }
  const std::uint8_t bc = p[5];
  out.byte_count = bc;
  if (p.size() != 6u + bc) {
    out.error = "byte count does not match length";
    return;
  }
  out.error = check_quantity(*out.addr, *out.count, max);
  if (!out.error.empty()) return;
  const std::size_t want = coils ? (*out.count + 7u) / 8u : 2u * *out.count;
  if (bc != want) {
    out.error = "byte count does not match quantity";
    return;
  }
  out.value_kind = coils ? ValueKind::bits : ValueKind::registers;
  out.value_count = *out.count;
  out.value_bytes = p.subspan(6);
}

void decode_read_write(std::span<const std::uint8_t> p, Direction dir, DecodedPdu& out) {
  if (dir == Direction::unknown) {
    const bool req = p.size() >= 10 && p.size() == 10u + p[9];
    const bool resp = p.size() >= 2 && p.size() == 2u + p[1] && p[1] % 2 == 0;
    if (req) {
      dir = Direction::request;
    } else if (resp) {
      dir = Direction::response;
    } else {
      out.error = "length fits neither a request nor a response";
      return;
    }
  }
  out.direction = dir;
  if (dir == Direction::response) {
    if (p.size() < 2) {
      out.error = "PDU too short";
      return;
    }
    const std::uint8_t bc = p[1];
    out.byte_count = bc;
    if (p.size() != 2u + bc) {
      out.error = "byte count does not match length";
      return;
    }
    if (bc == 0 || bc % 2 != 0 || bc > 2 * k_max_rw_read_registers) {
      out.error = "byte count must be even, 2-250";
      return;
    }
    out.value_kind = ValueKind::registers;
    out.value_count = static_cast<std::uint16_t>(bc / 2);
    out.count = out.value_count;
    out.value_bytes = p.subspan(2);
    return;
  }
  if (p.size() < 10) {
    out.error = "PDU too short";
    return;
  }
  out.addr = be16(&p[1]);
  out.count = be16(&p[3]);
  out.write_addr = be16(&p[5]);
  out.write_count = be16(&p[7]);
  const std::uint8_t bc = p[9];
  out.byte_count = bc;
  if (p.size() != 10u + bc) {
    out.error = "byte count does not match length";
    return;
  }
  out.error = check_quantity(*out.addr, *out.count, k_max_rw_read_registers);
  if (!out.error.empty()) return;
  out.error = check_quantity(*out.write_addr, *out.write_count, k_max_rw_write_registers);
  if (!out.error.empty()) return;
  if (bc != 2u * *out.write_count) {
    out.error = "byte count does not match quantity";
    return;
  }
  out.write_bytes = p.subspan(10);
}

void decode_device_id(std::span<const std::uint8_t> p, Direction dir, DecodedPdu& out) {
  if (p.size() < 2) {
    out.error = "PDU too short";
    return;
  }
  out.mei_type = p[1];
  if (p[1] != k_mei_read_device_id) {
    // Other MEI types (0x0D CANopen) carry data we do not interpret.
    out.data = p.subspan(2);
    return;
  }
  if (dir == Direction::unknown) dir = p.size() <= 4 ? Direction::request : Direction::response;
  out.direction = dir;
  if (dir == Direction::request) {
    if (p.size() != 4) {
      out.error = length_error(p.size(), 4);
      return;
    }
    out.read_code = p[2];
    out.object_id = p[3];
    if (p[2] < 1 || p[2] > 4) out.error = "read device id code must be 1-4";
    return;
  }
  if (p.size() < 7) {
    out.error = "PDU too short";
    return;
  }
  out.read_code = p[2];
  out.conformity = p[3];
  if (p[4] != 0x00 && p[4] != 0xFF) {
    out.error = "more follows must be 0x00 or 0xFF";
    return;
  }
  out.more_follows = p[4] == 0xFF;
  out.next_object = p[5];
  const std::uint8_t n = p[6];
  std::size_t i = 7;
  for (unsigned k = 0; k < n; ++k) {
    if (i + 2 > p.size() || i + 2 + p[i + 1] > p.size()) {
      out.error = "object list runs past the end";
      return;
    }
    i += 2u + p[i + 1];
  }
  if (i != p.size()) {
    out.error = "bytes after the last object";
    return;
  }
  out.object_count = n;
  out.object_bytes = p.subspan(7);
}

// Sub-records of FC 14/15 all carry reference type 6 ([AP] §6.14, §6.15).
bool read_file_request_ok(std::span<const std::uint8_t> d) {
  if (d.size() < 7 || d.size() > 0xF5 || d.size() % 7 != 0) return false;
  for (std::size_t i = 0; i < d.size(); i += 7)
    if (d[i] != 6) return false;
  return true;
}
// FC 14 response: sub-responses of (length, type 6, data), length counting type and data.
bool read_file_response_ok(std::span<const std::uint8_t> d) {
  std::size_t i = 0;
  while (i < d.size()) {
    const std::size_t len = d[i];
    if (len < 1 || len % 2 == 0 || i + 1 + len > d.size() || d[i + 1] != 6) return false;
    i += 1 + len;
  }
  return !d.empty();
}
// FC 15 request and its echo: type 6, file (2), record (2), length (2), data (2 * length).
bool write_file_records_ok(std::span<const std::uint8_t> d) {
  std::size_t i = 0;
  while (i < d.size()) {
    if (i + 7 > d.size() || d[i] != 6) return false;
    i += 7 + 2u * be16(&d[i + 5]);
  }
  return !d.empty() && i == d.size();
}

std::string_view check_file_records(std::uint8_t fc, std::span<const std::uint8_t> d, Direction dir,
                                    Direction& decided) {
  constexpr std::string_view bad = "malformed file sub-records";
  if (fc == 0x15) return write_file_records_ok(d) ? std::string_view() : bad;
  const bool req = read_file_request_ok(d);
  const bool resp = read_file_response_ok(d);
  if (dir == Direction::unknown) {
    if (req != resp) decided = req ? Direction::request : Direction::response;
    return req || resp ? std::string_view() : bad;
  }
  return (dir == Direction::request ? req : resp) ? std::string_view() : bad;
}

} // namespace

std::string_view direction_name(Direction d) noexcept {
  switch (d) {
  case Direction::request: return "request";
  case Direction::response: return "response";
  default: return "unknown";
  }
}

std::vector<std::uint16_t> DecodedPdu::words() const {
  std::vector<std::uint16_t> v;
  if (value_kind != ValueKind::registers) return v;
  v.reserve(value_count);
  for (std::size_t i = 0; i < value_count; ++i)
    v.push_back(word(i));
  return v;
}

std::vector<bool> DecodedPdu::bits() const {
  std::vector<bool> v;
  if (value_kind != ValueKind::bits) return v;
  v.reserve(value_count);
  for (std::size_t i = 0; i < value_count; ++i)
    v.push_back(bit(i));
  return v;
}

std::vector<std::uint16_t> DecodedPdu::write_words() const {
  std::vector<std::uint16_t> v;
  for (std::size_t i = 0; i + 1 < write_bytes.size(); i += 2)
    v.push_back(be16(&write_bytes[i]));
  return v;
}

DecodedPdu decode_pdu(std::span<const std::uint8_t> pdu, Direction dir) noexcept {
  DecodedPdu out;
  decode_pdu(pdu, dir, out);
  return out;
}

void decode_pdu(std::span<const std::uint8_t> p, Direction dir, DecodedPdu& out) noexcept {
  out = DecodedPdu{};
  out.pdu = p;
  out.direction = dir;
  if (p.empty()) {
    out.error = "empty PDU";
    return;
  }
  out.fc = p[0] & 0x7F;
  if (p.size() > k_max_pdu_size) {
    out.error = "PDU longer than 253 bytes";
    return;
  }
  if (p[0] & k_exception_bit) {
    out.direction = Direction::response;
    if (p.size() < 2) {
      out.error = "exception response too short";
      return;
    }
    out.exception = p[1];
    if (p.size() != 2) out.error = "exception response must be 2 bytes";
    return;
  }
  switch (out.fc) {
  case 0x01:
  case 0x02:
  case 0x03:
  case 0x04: decode_read(p, dir, out); return;
  case 0x05:
  case 0x06: decode_write_single(p, out); return;
  case 0x07:
    if (!decide_by_single_byte_request(p, dir, out)) return;
    if (p.size() != 2) {
      out.error = length_error(p.size(), 2);
      return;
    }
    out.value_kind = ValueKind::bits;
    out.value_count = 8;
    out.value_bytes = p.subspan(1);
    return;
  case 0x08:
    if (p.size() < 3) {
      out.error = "PDU too short";
      return;
    }
    out.sub_function = be16(&p[1]);
    out.data = p.subspan(3);
    return;
  case 0x0B:
    if (!decide_by_single_byte_request(p, dir, out)) return;
    if (p.size() != 5) {
      out.error = length_error(p.size(), 5);
      return;
    }
    out.value_kind = ValueKind::registers;
    out.value_count = 2;
    out.value_bytes = p.subspan(1);
    return;
  case 0x0C:
  case 0x11:
    if (!decide_by_single_byte_request(p, dir, out)) return;
    if (p.size() < 2 || p.size() != 2u + p[1]) {
      out.error = "byte count does not match length";
      return;
    }
    out.byte_count = p[1];
    if (out.fc == 0x0C) {
      if (p[1] < 6) out.error = "byte count below 6";
      out.data = p.subspan(2);
    } else {
      out.server_id = p.subspan(2);
      if (p[1] >= 2 && (p[3] == 0x00 || p[3] == 0xFF)) out.run_indicator = p[3] == 0xFF;
    }
    return;
  case 0x0F:
  case 0x10: decode_write_multiple(p, dir, out); return;
  case 0x14:
  case 0x15:
    // Requests and responses both start with a byte count; the sub-records are checked for
    // their layout ([AP] §6.14, §6.15) but not decoded further: `data` carries them.
    if (p.size() < 2 || p.size() != 2u + p[1]) {
      out.error = "byte count does not match length";
      return;
    }
    out.byte_count = p[1];
    out.data = p.subspan(2);
    out.error = check_file_records(out.fc, out.data, dir, out.direction);
    return;
  case 0x16:
    if (p.size() != 7) {
      out.error = length_error(p.size(), 7);
      return;
    }
    out.addr = be16(&p[1]);
    out.and_mask = be16(&p[3]);
    out.or_mask = be16(&p[5]);
    return;
  case 0x17: decode_read_write(p, dir, out); return;
  case 0x18:
    if (dir == Direction::unknown) dir = p.size() == 3 ? Direction::request : Direction::response;
    out.direction = dir;
    if (dir == Direction::request) {
      if (p.size() != 3) {
        out.error = length_error(p.size(), 3);
        return;
      }
      out.addr = be16(&p[1]);
      return;
    }
    if (p.size() < 5 || p.size() != 3u + be16(&p[1])) {
      out.error = "byte count does not match length";
      return;
    }
    out.byte_count = be16(&p[1]);
    if (be16(&p[3]) > 31 || *out.byte_count != 2u + 2u * be16(&p[3])) {
      out.error = "FIFO count does not match byte count";
      return;
    }
    out.count = be16(&p[3]);
    out.value_kind = ValueKind::registers;
    out.value_count = *out.count;
    out.value_bytes = p.subspan(5);
    return;
  case 0x2B: decode_device_id(p, dir, out); return;
  default: out.error = "unknown function code"; return;
  }
}

void pair_with_request(DecodedPdu& resp, const DecodedPdu& req) noexcept {
  if (resp.fc != req.fc || !req.ok()) return;
  resp.direction = Direction::response;
  switch (resp.fc) {
  case 0x01:
  case 0x02:
  case 0x03:
  case 0x04:
  case 0x17:
    if (!req.addr || !req.count) return;
    resp.addr = req.addr;
    if (resp.value_kind == ValueKind::bits && resp.value_count >= *req.count && *req.count + 7u >= resp.value_count) {
      resp.value_count = *req.count;
      resp.count = req.count;
    } else if (resp.value_kind == ValueKind::registers && resp.value_count == *req.count) {
      resp.count = req.count;
    } else if (resp.exception) {
      resp.count = req.count;
    }
    return;
  default:
    if (resp.exception && req.addr) {
      resp.addr = req.addr;
      if (req.count) resp.count = req.count;
    }
    return;
  }
}

std::uint8_t exception_for(const DecodedPdu& request) noexcept {
  if (request.ok()) return 0;
  if (request.error == "unknown function code" || request.error == "empty PDU")
    return static_cast<std::uint8_t>(ExceptionCode::illegal_function);
  if (request.error == "address + quantity beyond 65536")
    return static_cast<std::uint8_t>(ExceptionCode::illegal_data_address);
  return static_cast<std::uint8_t>(ExceptionCode::illegal_data_value);
}

std::optional<std::size_t> expected_response_pdu_length(std::span<const std::uint8_t> request_pdu) noexcept {
  DecodedPdu d;
  decode_pdu(request_pdu, Direction::request, d);
  if (!d.ok()) return std::nullopt;
  switch (d.fc) {
  case 0x01:
  case 0x02: return 2u + (*d.count + 7u) / 8u;
  case 0x03:
  case 0x04:
  case 0x17: return 2u + 2u * *d.count;
  case 0x05:
  case 0x06:
  case 0x0B:
  case 0x0F:
  case 0x10: return 5;
  case 0x07: return 2;
  case 0x08: return request_pdu.size(); // the normal response echoes sub-function and data
  case 0x16: return 7;
  default: return std::nullopt;
  }
}

// --- encoders ---------------------------------------------------------------------------

namespace {

void require(bool ok, const char* what) {
  if (!ok) throw usage_error(what);
}

template <typename BitRange> Bytes pack_bits(std::uint8_t fc, const BitRange& bits, bool response, std::uint16_t addr) {
  Bytes out;
  const std::size_t nbytes = (bits.size() + 7) / 8;
  out.reserve(6 + nbytes);
  out.push_back(fc);
  if (!response) {
    put16(out, addr);
    put16(out, static_cast<std::uint16_t>(bits.size()));
  }
  out.push_back(static_cast<std::uint8_t>(nbytes));
  const std::size_t start = out.size();
  out.resize(start + nbytes, 0);
  for (std::size_t i = 0; i < bits.size(); ++i)
    if (bits[i]) out[start + i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
  return out;
}

} // namespace

Bytes encode_read_request(std::uint8_t fc, std::uint16_t addr, std::uint16_t count) {
  require(fc >= 0x01 && fc <= 0x04, "read request: function code must be 01-04");
  const std::uint16_t max = fc <= 0x02 ? k_max_read_bits : k_max_read_registers;
  require(count >= 1 && count <= max,
          fc <= 0x02 ? "read request: quantity must be 1-2000" : "read request: quantity must be 1-125");
  require(range_ok(addr, count), "read request: address + quantity beyond 65536");
  Bytes out{fc};
  put16(out, addr);
  put16(out, count);
  return out;
}

Bytes encode_read_bits_response(std::uint8_t fc, std::span<const bool> bits) {
  require(!bits.empty() && bits.size() <= k_max_read_bits, "read bits response: 1-2000 bits");
  return pack_bits(fc, bits, true, 0);
}

Bytes encode_read_bits_response(std::uint8_t fc, const std::vector<bool>& bits) {
  require(!bits.empty() && bits.size() <= k_max_read_bits, "read bits response: 1-2000 bits");
  return pack_bits(fc, bits, true, 0);
}

Bytes encode_read_registers_response(std::uint8_t fc, std::span<const std::uint16_t> words) {
  Bytes out;
  append_read_registers_response(out, fc, words);
  return out;
}

void append_read_registers_response(Bytes& out, std::uint8_t fc, std::span<const std::uint16_t> words) {
  require(!words.empty() && words.size() <= k_max_read_registers, "read registers response: 1-125 registers");
  out.reserve(out.size() + 2 + 2 * words.size());
  out.push_back(fc);
  out.push_back(static_cast<std::uint8_t>(2 * words.size()));
  for (std::uint16_t w : words)
    put16(out, w);
}

Bytes encode_write_single_coil(std::uint16_t addr, bool on) {
  Bytes out{0x05};
  put16(out, addr);
  put16(out, on ? k_coil_on : k_coil_off);
  return out;
}

Bytes encode_write_single_register(std::uint16_t addr, std::uint16_t value) {
  Bytes out{0x06};
  put16(out, addr);
  put16(out, value);
  return out;
}

Bytes encode_diagnostics(std::uint16_t sub_function, std::span<const std::uint8_t> data) {
  require(3 + data.size() <= k_max_pdu_size, "diagnostics: data too long");
  Bytes out{0x08};
  put16(out, sub_function);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

namespace {
template <typename BitRange> Bytes write_coils(std::uint16_t addr, const BitRange& bits) {
  require(!bits.empty() && bits.size() <= k_max_write_coils, "write coils: quantity must be 1-1968");
  require(range_ok(addr, static_cast<std::uint16_t>(bits.size())), "write coils: address + quantity beyond 65536");
  return pack_bits(0x0F, bits, false, addr);
}
} // namespace

Bytes encode_write_multiple_coils(std::uint16_t addr, std::span<const bool> bits) { return write_coils(addr, bits); }

Bytes encode_write_multiple_coils(std::uint16_t addr, const std::vector<bool>& bits) { return write_coils(addr, bits); }

Bytes encode_write_multiple_registers(std::uint16_t addr, std::span<const std::uint16_t> words) {
  require(!words.empty() && words.size() <= k_max_write_registers, "write registers: quantity must be 1-123");
  require(range_ok(addr, static_cast<std::uint16_t>(words.size())), "write registers: address + quantity beyond 65536");
  Bytes out{0x10};
  out.reserve(6 + 2 * words.size());
  put16(out, addr);
  put16(out, static_cast<std::uint16_t>(words.size()));
  out.push_back(static_cast<std::uint8_t>(2 * words.size()));
  for (std::uint16_t w : words)
    put16(out, w);
  return out;
}

Bytes encode_write_multiple_response(std::uint8_t fc, std::uint16_t addr, std::uint16_t count) {
  require(fc == 0x0F || fc == 0x10, "write multiple response: function code must be 0F or 10");
  Bytes out{fc};
  put16(out, addr);
  put16(out, count);
  return out;
}

Bytes encode_report_server_id_request() { return Bytes{0x11}; }

Bytes encode_report_server_id_response(std::span<const std::uint8_t> server_id, bool running,
                                       std::span<const std::uint8_t> additional) {
  const std::size_t bc = server_id.size() + 1 + additional.size();
  require(2 + bc <= k_max_pdu_size, "report server id: too long");
  Bytes out{0x11, static_cast<std::uint8_t>(bc)};
  out.insert(out.end(), server_id.begin(), server_id.end());
  out.push_back(running ? 0xFF : 0x00);
  out.insert(out.end(), additional.begin(), additional.end());
  return out;
}

Bytes encode_mask_write_register(std::uint16_t addr, std::uint16_t and_mask, std::uint16_t or_mask) {
  Bytes out{0x16};
  put16(out, addr);
  put16(out, and_mask);
  put16(out, or_mask);
  return out;
}

Bytes encode_read_write_registers(std::uint16_t read_addr, std::uint16_t read_count, std::uint16_t write_addr,
                                  std::span<const std::uint16_t> write_words) {
  require(read_count >= 1 && read_count <= k_max_rw_read_registers,
          "read/write registers: read quantity must be 1-125");
  require(range_ok(read_addr, read_count), "read/write registers: read address + quantity beyond 65536");
  require(!write_words.empty() && write_words.size() <= k_max_rw_write_registers,
          "read/write registers: write quantity must be 1-121");
  require(range_ok(write_addr, static_cast<std::uint16_t>(write_words.size())),
          "read/write registers: write address + quantity beyond 65536");
  Bytes out{0x17};
  out.reserve(10 + 2 * write_words.size());
  put16(out, read_addr);
  put16(out, read_count);
  put16(out, write_addr);
  put16(out, static_cast<std::uint16_t>(write_words.size()));
  out.push_back(static_cast<std::uint8_t>(2 * write_words.size()));
  for (std::uint16_t w : write_words)
    put16(out, w);
  return out;
}

Bytes encode_device_id_request(std::uint8_t read_code, std::uint8_t object_id) {
  require(read_code >= 1 && read_code <= 4, "device identification: read code must be 1-4");
  return Bytes{0x2B, k_mei_read_device_id, read_code, object_id};
}

Bytes encode_device_id_response(std::uint8_t read_code, std::uint8_t conformity, bool more_follows,
                                std::uint8_t next_object, std::span<const DeviceIdObject> objects) {
  Bytes out{0x2B,
            k_mei_read_device_id,
            read_code,
            conformity,
            static_cast<std::uint8_t>(more_follows ? 0xFF : 0x00),
            next_object,
            static_cast<std::uint8_t>(objects.size())};
  require(objects.size() <= 255, "device identification: too many objects");
  for (const DeviceIdObject& o : objects) {
    require(o.value.size() <= 255, "device identification: object value longer than 255 bytes");
    out.push_back(o.id);
    out.push_back(static_cast<std::uint8_t>(o.value.size()));
    out.insert(out.end(), o.value.begin(), o.value.end());
  }
  require(out.size() <= k_max_pdu_size, "device identification: response longer than 253 bytes");
  return out;
}

Bytes serve_device_id_request(std::uint8_t read_code, std::uint8_t object_id, std::uint8_t conformity,
                              std::span<const DeviceIdObject> available) {
  if (read_code < 1 || read_code > 4) return encode_exception(0x2B, ExceptionCode::illegal_data_value);
  auto found =
      std::find_if(available.begin(), available.end(), [&](const DeviceIdObject& o) { return o.id == object_id; });
  if (read_code == 4) {
    if (found == available.end()) return encode_exception(0x2B, ExceptionCode::illegal_data_address);
    return encode_device_id_response(read_code, conformity, false, 0, std::span(&*found, 1));
  }
  const unsigned last = read_code == 1 ? 0x02 : read_code == 2 ? 0x7F : 0xFF;
  // [AP] §6.21: an object id that does not exist (or is outside the category) restarts at 0.
  unsigned start = object_id;
  if (found == available.end() || start > last) start = 0;
  std::size_t size = 7;
  std::vector<DeviceIdObject> chosen;
  bool more = false;
  std::uint8_t next = 0;
  for (const DeviceIdObject& o : available) {
    if (o.id < start || o.id > last) continue;
    const std::size_t need = 2 + o.value.size();
    if (size + need > k_max_pdu_size) {
      require(!chosen.empty(), "device identification: object value too long for one PDU");
      more = true;
      next = o.id;
      break;
    }
    size += need;
    chosen.push_back(o);
  }
  return encode_device_id_response(read_code, conformity, more, next, chosen);
}

Bytes encode_exception(std::uint8_t fc, std::uint8_t code) {
  return Bytes{static_cast<std::uint8_t>(fc | k_exception_bit), code};
}

Bytes encode_exception(std::uint8_t fc, ExceptionCode code) {
  return encode_exception(fc, static_cast<std::uint8_t>(code));
}

} // namespace iot::modbus
