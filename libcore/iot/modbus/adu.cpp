#include "iot/modbus/adu.hpp"

#include "iot/modbus/crc.hpp"

namespace iot::modbus {
namespace {

constexpr char k_hex_upper[] = "0123456789ABCDEF";

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

int hex_value(std::uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

RtuLength known(std::size_t n) {
  if (n > k_max_rtu_adu_size) return {RtuLength::unknown, 0};
  return {RtuLength::known, n};
}
RtuLength need(std::size_t n) { return {RtuLength::need_more, n}; }
constexpr RtuLength k_unknown{RtuLength::unknown, 0};

// Request layouts ([AP] §6.x) as whole RTU frames: unit + PDU + CRC(2).
RtuLength request_length(std::span<const std::uint8_t> b) {
  if (b.size() < 2) return need(2);
  switch (b[1]) {
  case 0x01:
  case 0x02:
  case 0x03:
  case 0x04:
  case 0x05:
  case 0x06:
  case 0x08: return known(8);
  case 0x07:
  case 0x0B:
  case 0x0C:
  case 0x11: return known(4);
  case 0x0F:
  case 0x10: return b.size() < 7 ? need(7) : known(9u + b[6]);
  case 0x14:
  case 0x15: return b.size() < 3 ? need(3) : known(5u + b[2]);
  case 0x16: return known(10);
  case 0x17: return b.size() < 11 ? need(11) : known(13u + b[10]);
  case 0x18: return known(6);
  case 0x2B:
    if (b.size() < 3) return need(3);
    return b[2] == k_mei_read_device_id ? known(7) : k_unknown;
  default: return k_unknown;
  }
}

RtuLength response_length(std::span<const std::uint8_t> b) {
  if (b.size() < 2) return need(2);
  if (b[1] & k_exception_bit) return known(5);
  switch (b[1]) {
  case 0x01:
  case 0x02:
  case 0x03:
  case 0x04:
  case 0x0C:
  case 0x11:
  case 0x14:
  case 0x15:
  case 0x17: return b.size() < 3 ? need(3) : known(5u + b[2]);
  case 0x05:
  case 0x06:
  case 0x08:
  case 0x0B:
  case 0x0F:
  case 0x10: return known(8);
  case 0x07: return known(5);
  case 0x16: return known(10);
  case 0x18: return b.size() < 4 ? need(4) : known(6u + be16(&b[2]));
  case 0x2B: {
    if (b.size() < 3) return need(3);
    if (b[2] != k_mei_read_device_id) return k_unknown;
    // unit fc mei code conformity more next count, then count objects of (id, length, value).
    if (b.size() < 8) return need(8);
    std::size_t i = 8;
    for (unsigned k = 0; k < b[7]; ++k) {
      if (i + 2 > k_max_rtu_adu_size) return k_unknown;
      if (b.size() < i + 2) return need(i + 2);
      i += 2u + b[i + 1];
    }
    return known(i + 2);
  }
  default: return k_unknown;
  }
}

} // namespace

std::string_view framing_name(Framing f) noexcept {
  switch (f) {
  case Framing::rtu: return "rtu";
  case Framing::tcp: return "tcp";
  case Framing::ascii: return "ascii";
  case Framing::rtu_over_tcp: return "rtu-over-tcp";
  }
  return "rtu";
}

std::optional<Framing> parse_framing(std::string_view name) noexcept {
  if (name == "rtu") return Framing::rtu;
  if (name == "tcp") return Framing::tcp;
  if (name == "ascii") return Framing::ascii;
  if (name == "rtu-over-tcp" || name == "rtu_over_tcp" || name == "rtu+tcp") return Framing::rtu_over_tcp;
  return std::nullopt;
}

void append_rtu(Bytes& out, std::uint8_t unit, std::span<const std::uint8_t> pdu) {
  const std::size_t start = out.size();
  out.push_back(unit);
  out.insert(out.end(), pdu.begin(), pdu.end());
  const std::uint16_t crc = crc16(std::span(out).subspan(start));
  out.push_back(static_cast<std::uint8_t>(crc & 0xFF)); // [SL] §2.5.1.2: low byte first
  out.push_back(static_cast<std::uint8_t>(crc >> 8));
}

void append_tcp(Bytes& out, std::uint16_t tid, std::uint8_t unit, std::span<const std::uint8_t> pdu) {
  const std::size_t len = pdu.size() + 1;
  const std::uint8_t header[7] = {static_cast<std::uint8_t>(tid >> 8), static_cast<std::uint8_t>(tid & 0xFF), 0,   0,
                                  static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len & 0xFF), unit};
  out.insert(out.end(), header, header + 7);
  out.insert(out.end(), pdu.begin(), pdu.end());
}

void append_ascii(Bytes& out, std::uint8_t unit, std::span<const std::uint8_t> pdu) {
  auto put_hex = [&](std::uint8_t b) {
    out.push_back(static_cast<std::uint8_t>(k_hex_upper[b >> 4]));
    out.push_back(static_cast<std::uint8_t>(k_hex_upper[b & 0xF]));
  };
  out.push_back(':');
  put_hex(unit);
  std::uint8_t sum = unit;
  for (std::uint8_t b : pdu) {
    put_hex(b);
    sum = static_cast<std::uint8_t>(sum + b);
  }
  put_hex(static_cast<std::uint8_t>(-sum)); // LRC, [SL] §2.5.2.2
  out.push_back('\r');
  out.push_back('\n');
}

Bytes wrap_rtu(std::uint8_t unit, std::span<const std::uint8_t> pdu) {
  Bytes out;
  out.reserve(pdu.size() + 3);
  append_rtu(out, unit, pdu);
  return out;
}

Bytes wrap_tcp(std::uint16_t tid, std::uint8_t unit, std::span<const std::uint8_t> pdu) {
  Bytes out;
  out.reserve(pdu.size() + 7);
  append_tcp(out, tid, unit, pdu);
  return out;
}

Bytes wrap_ascii(std::uint8_t unit, std::span<const std::uint8_t> pdu) {
  Bytes out;
  out.reserve(2 * pdu.size() + 7);
  append_ascii(out, unit, pdu);
  return out;
}

Bytes wrap_adu(Framing framing, std::uint8_t unit, std::span<const std::uint8_t> pdu, std::uint16_t tid) {
  switch (framing) {
  case Framing::tcp: return wrap_tcp(tid, unit, pdu);
  case Framing::ascii: return wrap_ascii(unit, pdu);
  default: return wrap_rtu(unit, pdu);
  }
}

AduView unwrap_adu(std::span<const std::uint8_t> b, Framing framing, AsciiScratch* scratch) noexcept {
  AduView v;
  v.framing = framing;
  switch (framing) {
  case Framing::rtu:
  case Framing::rtu_over_tcp:
    if (!b.empty()) v.unit = b[0];
    if (b.size() < k_min_rtu_adu_size) {
      v.error = "RTU frame shorter than 4 bytes";
      if (b.size() > 1) v.pdu = b.subspan(1);
      return v;
    }
    v.pdu = b.subspan(1, b.size() - 3);
    v.check_ok = crc16(b) == 0;
    if (b.size() > k_max_rtu_adu_size) v.error = "RTU frame longer than 256 bytes";
    return v;
  case Framing::tcp:
    if (b.size() < k_mbap_header_size) {
      v.error = "TCP frame shorter than the MBAP header";
      return v;
    }
    v.tid = be16(&b[0]);
    v.protocol_id = be16(&b[2]);
    v.unit = b[6];
    v.pdu = b.subspan(k_mbap_header_size);
    if (*v.protocol_id != k_mbap_protocol_id) {
      v.error = "MBAP protocol id is not 0";
    } else if (be16(&b[4]) != b.size() - 6) {
      v.error = "MBAP length does not match the frame";
    } else if (b.size() == k_mbap_header_size) {
      v.error = "TCP frame without a PDU";
    } else if (b.size() > k_max_tcp_adu_size) {
      v.error = "TCP frame longer than 260 bytes";
    }
    return v;
  case Framing::ascii: {
    if (b.empty() || b[0] != ':') {
      v.error = "ASCII frame does not start with ':'";
      return v;
    }
    std::size_t end = b.size();
    if (end > 1 && b[end - 1] == '\n') --end;
    if (end > 1 && b[end - 1] == '\r') --end;
    const std::size_t digits = end - 1;
    if (digits % 2 != 0) {
      v.error = "ASCII frame has an odd number of hex digits";
      return v;
    }
    if (digits < 6) {
      v.error = "ASCII frame too short";
      return v;
    }
    if (digits / 2 > k_max_pdu_size + 2) { // unit + PDU + LRC
      v.error = "ASCII frame longer than 513 characters";
      return v;
    }
    if (scratch == nullptr) {
      v.error = "ASCII unwrap needs a scratch buffer";
      return v;
    }
    const std::size_t n = digits / 2;
    for (std::size_t i = 0; i < n; ++i) {
      const int hi = hex_value(b[1 + 2 * i]);
      const int lo = hex_value(b[2 + 2 * i]);
      if (hi < 0 || lo < 0) {
        v.error = "ASCII frame has a character that is not a hex digit";
        return v;
      }
      (*scratch)[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    std::span<const std::uint8_t> bin(scratch->data(), n);
    v.unit = bin[0];
    v.pdu = bin.subspan(1, n - 2);
    v.check_ok = lrc(bin.first(n - 1)) == bin[n - 1];
    return v;
  }
  }
  return v;
}

std::optional<Framing> detect_framing(std::span<const std::uint8_t> b) noexcept {
  if (!b.empty() && b[0] == ':') {
    AsciiScratch scratch;
    AduView v = unwrap_adu(b, Framing::ascii, &scratch);
    if (v.ok()) return Framing::ascii;
  }
  const bool tcp = b.size() > k_mbap_header_size && b.size() <= k_max_tcp_adu_size && be16(&b[2]) == 0 &&
                   be16(&b[4]) == b.size() - 6;
  const bool rtu = b.size() >= k_min_rtu_adu_size && b.size() <= k_max_rtu_adu_size && crc16(b) == 0;
  if (tcp && rtu) {
    // Both fit (rare): prefer the framing whose PDU decodes without error.
    DecodedPdu d;
    decode_pdu(b.subspan(k_mbap_header_size), Direction::unknown, d);
    if (d.ok()) return Framing::tcp;
    decode_pdu(b.subspan(1, b.size() - 3), Direction::unknown, d);
    return d.ok() ? Framing::rtu : Framing::tcp;
  }
  if (tcp) return Framing::tcp;
  if (rtu) return Framing::rtu;
  return std::nullopt;
}

RtuLength rtu_frame_length(std::span<const std::uint8_t> b, Direction dir) noexcept {
  if (dir == Direction::request) return request_length(b);
  if (dir == Direction::response) return response_length(b);
  const RtuLength r = request_length(b);
  const RtuLength s = response_length(b);
  if (r.status == RtuLength::unknown) return s;
  if (s.status == RtuLength::unknown) return r;
  if (r.status == RtuLength::known && s.status == RtuLength::known && r.length == s.length) return r;
  // Two layouts fit: the one whose CRC matches wins, shorter first.
  const RtuLength* c[2] = {&r, &s};
  if (s.length < r.length) std::swap(c[0], c[1]);
  for (const RtuLength* x : c)
    if (x->status == RtuLength::known && x->length <= b.size() && crc16(b.first(x->length)) == 0) return *x;
  std::size_t want = 0;
  for (const RtuLength* x : c)
    if (x->length > b.size() && (want == 0 || x->length < want)) want = x->length;
  if (want != 0) return need(want);
  return k_unknown;
}

RtuLength tcp_frame_length(std::span<const std::uint8_t> b) noexcept {
  if (b.size() < 6) return need(6);
  const std::size_t len = be16(&b[4]);
  if (be16(&b[2]) != k_mbap_protocol_id || len == 0 || 6 + len > k_max_tcp_adu_size) return k_unknown;
  return {RtuLength::known, 6 + len};
}

RtuLength ascii_frame_length(std::span<const std::uint8_t> b) noexcept {
  if (b.empty()) return need(1);
  if (b[0] != ':') return k_unknown;
  for (std::size_t i = 1; i < b.size() && i < k_max_ascii_adu_size; ++i)
    if (b[i] == '\n') return {RtuLength::known, i + 1};
  if (b.size() >= k_max_ascii_adu_size) return k_unknown;
  return need(b.size() + 1);
}

} // namespace iot::modbus
