#include "iot/modbus/pdu.hpp"

#include <algorithm>
#include <initializer_list>

#include "iot/core/error.hpp"

namespace iot::modbus {
namespace {

using Pdu = std::span<const std::uint8_t>;

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

// The decoders below check one thing at a time and stop at the first problem: each check
// records it in out.error and returns false, so that a decoder reads `return check && ...`.

constexpr std::string_view k_too_short = "PDU too short";
constexpr std::string_view k_count_mismatch = "byte count does not match length";
constexpr std::string_view k_quantity_mismatch = "byte count does not match quantity";
constexpr std::string_view k_fits_neither = "length fits neither a request nor a response";

bool fail(DecodedPdu& out, std::string_view why) {
  out.error = why;
  return false;
}

bool has_size(Pdu p, std::size_t n, DecodedPdu& out) {
  return p.size() == n || fail(out, p.size() < n ? k_too_short : std::string_view("PDU too long"));
}

bool has_at_least(Pdu p, std::size_t n, DecodedPdu& out) { return p.size() >= n || fail(out, k_too_short); }

// Whether the byte count at p[at] counts exactly the bytes after it.
bool counts_rest(Pdu p, std::size_t at) { return p.size() > at && p.size() == at + 1u + p[at]; }

// The byte count at p[at] must count exactly the bytes after it. It is recorded even when it
// does not, so that a frame record shows what the frame claimed.
bool has_byte_count(Pdu p, std::size_t at, DecodedPdu& out) {
  if (!has_at_least(p, at + 1, out)) return false;
  out.byte_count = p[at];
  return counts_rest(p, at) || fail(out, k_count_mismatch);
}

// FC 0C, 11, 14, 15: a byte count and that many bytes; the count is recorded once it fits.
bool has_counted_payload(Pdu p, DecodedPdu& out) {
  if (!counts_rest(p, 1)) return fail(out, k_count_mismatch);
  out.byte_count = p[1];
  return true;
}

bool quantity_ok(std::uint16_t addr, std::uint16_t count, std::uint16_t max, DecodedPdu& out) {
  const std::string_view problem = check_quantity(addr, count, max);
  return problem.empty() || fail(out, problem);
}

// Starting address and quantity, the first fields of most requests ([AP] §6.1-6.4, 6.11, 6.12, 6.17).
void read_range(Pdu p, DecodedPdu& out) {
  out.addr = be16(&p[1]);
  out.count = be16(&p[3]);
}

bool set_values(DecodedPdu& out, ValueKind kind, std::size_t count, Pdu bytes) {
  out.value_kind = kind;
  out.value_count = static_cast<std::uint16_t>(count);
  out.value_bytes = bytes;
  return true;
}

// FC 01-04.
bool decode_read(Pdu p, Direction dir, DecodedPdu& out) {
  const bool bits = out.fc <= 0x02;
  const std::uint16_t max = bits ? k_max_read_bits : k_max_read_registers;
  if (dir == Direction::unknown) {
    const bool req = p.size() == 5;
    const bool resp = p.size() >= 3 && counts_rest(p, 1) && (bits || p[1] % 2 == 0);
    if (!req && !resp) return fail(out, k_fits_neither);
    // Only FC 01/02 with byte count 3 fits both: a valid request wins (documented in pdu.hpp).
    const bool as_request = req && (!resp || check_quantity(be16(&p[1]), be16(&p[3]), max).empty());
    dir = as_request ? Direction::request : Direction::response;
  }
  out.direction = dir;
  if (dir == Direction::request) {
    if (!has_size(p, 5, out)) return false;
    read_range(p, out);
    return quantity_ok(*out.addr, *out.count, max, out);
  }
  if (!has_byte_count(p, 1, out)) return false;
  const std::uint8_t bc = p[1];
  if (bc == 0) return fail(out, "byte count is 0");
  if (bits) {
    if (bc > (k_max_read_bits + 7) / 8) return fail(out, "byte count above 250 (2000 bits)");
    return set_values(out, ValueKind::bits, bc * 8u, p.subspan(2));
  }
  if (bc % 2 != 0) return fail(out, "odd byte count");
  if (bc > 2 * k_max_read_registers) return fail(out, "byte count above 250 (125 registers)");
  out.count = static_cast<std::uint16_t>(bc / 2);
  return set_values(out, ValueKind::registers, bc / 2u, p.subspan(2));
}

// FC 05, 06: request and echo response alike.
bool decode_write_single(Pdu p, DecodedPdu& out) {
  if (!has_size(p, 5, out)) return false;
  out.addr = be16(&p[1]);
  if (out.fc == 0x06) return set_values(out, ValueKind::registers, 1, p.subspan(3, 2));
  const std::uint16_t v = be16(&p[3]);
  if (v != k_coil_on && v != k_coil_off) return fail(out, "coil value must be 0xFF00 or 0x0000");
  // The first value byte is 0xFF or 0x00: read as packed bits, its bit 0 is the coil.
  return set_values(out, ValueKind::bits, 1, p.subspan(3, 1));
}

// FC 07, 0B, 0C, 11: a request is the function code alone.
bool decode_serial_status(Pdu p, Direction dir, DecodedPdu& out) {
  if (dir == Direction::unknown) dir = p.size() == 1 ? Direction::request : Direction::response;
  out.direction = dir;
  if (dir == Direction::request) return has_size(p, 1, out);
  switch (out.fc) {
  case 0x07: return has_size(p, 2, out) && set_values(out, ValueKind::bits, 8, p.subspan(1));
  case 0x0B: return has_size(p, 5, out) && set_values(out, ValueKind::registers, 2, p.subspan(1));
  case 0x0C:
    if (!has_counted_payload(p, out)) return false;
    out.data = p.subspan(2);
    return p[1] >= 6 || fail(out, "byte count below 6");
  default: // 0x11
    if (!has_counted_payload(p, out)) return false;
    out.server_id = p.subspan(2);
    if (p[1] >= 2 && (p[3] == 0x00 || p[3] == 0xFF)) out.run_indicator = p[3] == 0xFF;
    return true;
  }
}

// FC 0F, 10.
bool decode_write_multiple(Pdu p, Direction dir, DecodedPdu& out) {
  const bool coils = out.fc == 0x0F;
  const std::uint16_t max = coils ? k_max_write_coils : k_max_write_registers;
  if (dir == Direction::unknown) dir = p.size() == 5 ? Direction::response : Direction::request;
  out.direction = dir;
  if (!has_at_least(p, 5, out)) return false;
  read_range(p, out);
  if (dir == Direction::response) return has_size(p, 5, out) && quantity_ok(*out.addr, *out.count, max, out);
  if (!has_byte_count(p, 5, out) || !quantity_ok(*out.addr, *out.count, max, out)) return false;
  const std::size_t want = coils ? (*out.count + 7u) / 8u : 2u * *out.count;
  if (p[5] != want) return fail(out, k_quantity_mismatch);
  return set_values(out, coils ? ValueKind::bits : ValueKind::registers, *out.count, p.subspan(6));
}

// FC 17.
bool decode_read_write(Pdu p, Direction dir, DecodedPdu& out) {
  if (dir == Direction::unknown) {
    const bool req = p.size() >= 10 && counts_rest(p, 9);
    const bool resp = counts_rest(p, 1) && p[1] % 2 == 0;
    if (!req && !resp) return fail(out, k_fits_neither);
    dir = req ? Direction::request : Direction::response;
  }
  out.direction = dir;
  if (dir == Direction::response) {
    if (!has_byte_count(p, 1, out)) return false;
    const std::uint8_t bc = p[1];
    if (bc == 0 || bc % 2 != 0 || bc > 2 * k_max_rw_read_registers) return fail(out, "byte count must be even, 2-250");
    out.count = static_cast<std::uint16_t>(bc / 2);
    return set_values(out, ValueKind::registers, bc / 2u, p.subspan(2));
  }
  if (!has_at_least(p, 10, out)) return false;
  read_range(p, out);
  out.write_addr = be16(&p[5]);
  out.write_count = be16(&p[7]);
  if (!has_byte_count(p, 9, out) || !quantity_ok(*out.addr, *out.count, k_max_rw_read_registers, out) ||
      !quantity_ok(*out.write_addr, *out.write_count, k_max_rw_write_registers, out))
    return false;
  if (p[9] != 2u * *out.write_count) return fail(out, k_quantity_mismatch);
  out.write_bytes = p.subspan(10);
  return true;
}

// FC 18: the request is the FIFO pointer address; the response has a 16-bit byte count.
bool decode_fifo_queue(Pdu p, Direction dir, DecodedPdu& out) {
  if (dir == Direction::unknown) dir = p.size() == 3 ? Direction::request : Direction::response;
  out.direction = dir;
  if (dir == Direction::request) {
    if (!has_size(p, 3, out)) return false;
    out.addr = be16(&p[1]);
    return true;
  }
  if (p.size() < 5 || p.size() != 3u + be16(&p[1])) return fail(out, k_count_mismatch);
  out.byte_count = be16(&p[1]);
  const std::uint16_t fifo_count = be16(&p[3]);
  if (fifo_count > 31 || *out.byte_count != 2u + 2u * fifo_count)
    return fail(out, "FIFO count does not match byte count");
  out.count = fifo_count;
  return set_values(out, ValueKind::registers, fifo_count, p.subspan(5));
}

// FC 2B.
bool decode_device_id(Pdu p, Direction dir, DecodedPdu& out) {
  if (!has_at_least(p, 2, out)) return false;
  out.mei_type = p[1];
  if (p[1] != k_mei_read_device_id) {
    // Other MEI types (0x0D CANopen) carry data we do not interpret.
    out.data = p.subspan(2);
    return true;
  }
  if (dir == Direction::unknown) dir = p.size() <= 4 ? Direction::request : Direction::response;
  out.direction = dir;
  if (dir == Direction::request) {
    if (!has_size(p, 4, out)) return false;
    out.read_code = p[2];
    out.object_id = p[3];
    return (p[2] >= 1 && p[2] <= 4) || fail(out, "read device id code must be 1-4");
  }
  if (!has_at_least(p, 7, out)) return false;
  out.read_code = p[2];
  out.conformity = p[3];
  if (p[4] != 0x00 && p[4] != 0xFF) return fail(out, "more follows must be 0x00 or 0xFF");
  out.more_follows = p[4] == 0xFF;
  out.next_object = p[5];
  const std::uint8_t n = p[6];
  std::size_t i = 7;
  for (unsigned k = 0; k < n; ++k) {
    if (i + 2 > p.size() || i + 2 + p[i + 1] > p.size()) return fail(out, "object list runs past the end");
    i += 2u + p[i + 1];
  }
  if (i != p.size()) return fail(out, "bytes after the last object");
  out.object_count = n;
  out.object_bytes = p.subspan(7);
  return true;
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

// FC 14, 15: requests and responses both start with a byte count; the sub-records are checked
// for their layout ([AP] §6.14, §6.15) but not decoded further: `data` carries them.
bool decode_file_records(Pdu p, Direction dir, DecodedPdu& out) {
  if (!has_counted_payload(p, out)) return false;
  out.data = p.subspan(2);
  out.error = check_file_records(out.fc, out.data, dir, out.direction);
  return out.ok();
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
  case 0x0B:
  case 0x0C:
  case 0x11: decode_serial_status(p, dir, out); return;
  case 0x08:
    if (!has_at_least(p, 3, out)) return;
    out.sub_function = be16(&p[1]);
    out.data = p.subspan(3);
    return;
  case 0x0F:
  case 0x10: decode_write_multiple(p, dir, out); return;
  case 0x14:
  case 0x15: decode_file_records(p, dir, out); return;
  case 0x16:
    if (!has_size(p, 7, out)) return;
    out.addr = be16(&p[1]);
    out.and_mask = be16(&p[3]);
    out.or_mask = be16(&p[5]);
    return;
  case 0x17: decode_read_write(p, dir, out); return;
  case 0x18: decode_fifo_queue(p, dir, out); return;
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

// The function code and 16-bit fields, the fixed part of most PDUs.
Bytes with_fields(std::uint8_t fc, std::initializer_list<std::uint16_t> fields) {
  Bytes out{fc};
  for (std::uint16_t f : fields)
    put16(out, f);
  return out;
}

// A byte count, then the words.
void append_counted_words(Bytes& out, std::span<const std::uint16_t> words) {
  out.reserve(out.size() + 1 + 2 * words.size());
  out.push_back(static_cast<std::uint8_t>(2 * words.size()));
  for (std::uint16_t w : words)
    put16(out, w);
}

// A byte count, then the bits packed least significant bit of the first byte first, padded
// with 0 ([AP] §6.1). Any range whose elements convert to bool will do.
template <typename BitRange> void append_counted_bits(Bytes& out, const BitRange& bits) {
  const std::size_t nbytes = (bits.size() + 7) / 8;
  out.push_back(static_cast<std::uint8_t>(nbytes));
  const std::size_t start = out.size();
  out.resize(start + nbytes, 0);
  for (std::size_t i = 0; i < bits.size(); ++i)
    if (bits[i]) out[start + i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
}

template <typename BitRange> void append_bits_response(Bytes& out, std::uint8_t fc, const BitRange& bits) {
  require(!bits.empty() && bits.size() <= k_max_read_bits, "read bits response: 1-2000 bits");
  out.push_back(fc);
  append_counted_bits(out, bits);
}

template <typename BitRange> Bytes bits_response(std::uint8_t fc, const BitRange& bits) {
  Bytes out;
  append_bits_response(out, fc, bits);
  return out;
}

template <typename BitRange> Bytes write_coils(std::uint16_t addr, const BitRange& bits) {
  require(!bits.empty() && bits.size() <= k_max_write_coils, "write coils: quantity must be 1-1968");
  require(range_ok(addr, static_cast<std::uint16_t>(bits.size())), "write coils: address + quantity beyond 65536");
  Bytes out = with_fields(0x0F, {addr, static_cast<std::uint16_t>(bits.size())});
  append_counted_bits(out, bits);
  return out;
}

} // namespace

Bytes encode_read_request(std::uint8_t fc, std::uint16_t addr, std::uint16_t count) {
  require(fc >= 0x01 && fc <= 0x04, "read request: function code must be 01-04");
  const std::uint16_t max = fc <= 0x02 ? k_max_read_bits : k_max_read_registers;
  require(count >= 1 && count <= max,
          fc <= 0x02 ? "read request: quantity must be 1-2000" : "read request: quantity must be 1-125");
  require(range_ok(addr, count), "read request: address + quantity beyond 65536");
  return with_fields(fc, {addr, count});
}

Bytes encode_read_bits_response(std::uint8_t fc, std::span<const bool> bits) { return bits_response(fc, bits); }

Bytes encode_read_bits_response(std::uint8_t fc, const std::vector<bool>& bits) { return bits_response(fc, bits); }

void append_read_bits_response(Bytes& out, std::uint8_t fc, std::span<const std::uint16_t> states) {
  append_bits_response(out, fc, states);
}

Bytes encode_read_registers_response(std::uint8_t fc, std::span<const std::uint16_t> words) {
  Bytes out;
  append_read_registers_response(out, fc, words);
  return out;
}

void append_read_registers_response(Bytes& out, std::uint8_t fc, std::span<const std::uint16_t> words) {
  require(!words.empty() && words.size() <= k_max_read_registers, "read registers response: 1-125 registers");
  out.push_back(fc);
  append_counted_words(out, words);
}

Bytes encode_write_single_coil(std::uint16_t addr, bool on) {
  return with_fields(0x05, {addr, on ? k_coil_on : k_coil_off});
}

Bytes encode_write_single_register(std::uint16_t addr, std::uint16_t value) { return with_fields(0x06, {addr, value}); }

Bytes encode_diagnostics(std::uint16_t sub_function, std::span<const std::uint8_t> data) {
  require(3 + data.size() <= k_max_pdu_size, "diagnostics: data too long");
  Bytes out = with_fields(0x08, {sub_function});
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes encode_write_multiple_coils(std::uint16_t addr, std::span<const bool> bits) { return write_coils(addr, bits); }

Bytes encode_write_multiple_coils(std::uint16_t addr, const std::vector<bool>& bits) { return write_coils(addr, bits); }

Bytes encode_write_multiple_registers(std::uint16_t addr, std::span<const std::uint16_t> words) {
  require(!words.empty() && words.size() <= k_max_write_registers, "write registers: quantity must be 1-123");
  require(range_ok(addr, static_cast<std::uint16_t>(words.size())), "write registers: address + quantity beyond 65536");
  Bytes out = with_fields(0x10, {addr, static_cast<std::uint16_t>(words.size())});
  append_counted_words(out, words);
  return out;
}

Bytes encode_write_multiple_response(std::uint8_t fc, std::uint16_t addr, std::uint16_t count) {
  require(fc == 0x0F || fc == 0x10, "write multiple response: function code must be 0F or 10");
  return with_fields(fc, {addr, count});
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
  return with_fields(0x16, {addr, and_mask, or_mask});
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
  Bytes out = with_fields(0x17, {read_addr, read_count, write_addr, static_cast<std::uint16_t>(write_words.size())});
  append_counted_words(out, write_words);
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
