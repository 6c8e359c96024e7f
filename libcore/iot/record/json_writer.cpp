#include "iot/record/json_writer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace iot {

JsonWriter::JsonWriter(std::string& out) : m_out(out) {
  m_pos = m_out.data() + m_out.size();
  m_end = m_pos;
  m_grown = m_out.size();
}

JsonWriter::~JsonWriter() {
  // At the top level the string is exact already. Mid-record, trim the chunk we grew,
  // unless the owner has already cut the string back (RecordLine::cancel_line).
  if (m_depth != 0 && m_out.size() == m_grown) sync();
}

void JsonWriter::grow(std::size_t n) {
  const std::size_t used = static_cast<std::size_t>(m_pos - m_out.data());
  // Grow by at least 512 bytes so a typical record needs one grow; resize() zero-fills,
  // which costs little next to appending field by field.
  m_out.resize(used + std::max<std::size_t>(n, 512));
  m_pos = m_out.data() + used;
  m_end = m_out.data() + m_out.size();
  m_grown = m_out.size();
}

void JsonWriter::sync() {
  const std::size_t used = static_cast<std::size_t>(m_pos - m_out.data());
  if (used != m_out.size()) m_out.resize(used);
  m_pos = m_out.data() + used;
  m_end = m_pos;
  m_grown = used;
}

void JsonWriter::put(std::string_view s) {
  char* p = room(s.size());
  std::memcpy(p, s.data(), s.size());
  m_pos += s.size();
}

void JsonWriter::separate() {
  if (m_after_key) {
    m_after_key = false;
    return;
  }
  const std::uint64_t bit = std::uint64_t{1} << (m_depth & 63);
  if (m_has_items & bit) put(',');
  m_has_items |= bit;
}

void JsonWriter::open(char bracket) {
  separate();
  put(bracket);
  ++m_depth;
  m_has_items &= ~(std::uint64_t{1} << (m_depth & 63));
}

void JsonWriter::close(char bracket) {
  --m_depth;
  put(bracket);
  done();
}

void JsonWriter::key(std::string_view name) {
  separate();
  put_string(name);
  put(':');
  m_after_key = true;
}

void JsonWriter::value(std::string_view s) {
  separate();
  put_string(s);
  done();
}

void JsonWriter::value(bool b) {
  separate();
  put(b ? std::string_view("true") : std::string_view("false"));
  done();
}

void JsonWriter::value(long long v) {
  separate();
  char* p = room(24);
  m_pos = std::to_chars(p, p + 24, v).ptr;
  done();
}

void JsonWriter::value(unsigned long long v) {
  separate();
  char* p = room(24);
  m_pos = std::to_chars(p, p + 24, v).ptr;
  done();
}

char* format_json_double(double v, char* p) {
  if (!std::isfinite(v)) {
    std::memcpy(p, "null", 4);
    return p + 4;
  }
  if (v == std::trunc(v) && std::fabs(v) < 9.007199254740992e15) {
    // Integral values print without exponent or fraction, like the registers they came from.
    return std::to_chars(p, p + 32, static_cast<long long>(v)).ptr; // -0.0 prints as 0
  }
  if (v == std::trunc(v)) {
    // At 2^53 and beyond, plain digits would read back as an integer that
    // may not be this double (and readers keep such integers as exact text):
    // the exponent keeps the value a double on every round trip.
    return std::to_chars(p, p + 32, v, std::chars_format::scientific).ptr;
  }
  return std::to_chars(p, p + 32, v).ptr; // shortest text that reads back the same
}

void JsonWriter::value(double v) {
  separate();
  m_pos = format_json_double(v, room(32));
  done();
}

void JsonWriter::value_ts(TimePoint t) {
  separate();
  char* p = room(26);
  p[0] = '"';
  format_ts(t, p + 1);
  p[25] = '"';
  m_pos += 26;
  done();
}

void JsonWriter::value_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  separate();
  char* p = room(2 * size + 2);
  *p++ = '"';
  for (std::size_t i = 0; i < size; ++i) {
    *p++ = digits[data[i] >> 4];
    *p++ = digits[data[i] & 15];
  }
  *p++ = '"';
  m_pos = p;
  done();
}

void JsonWriter::null() {
  separate();
  put("null");
  done();
}

void JsonWriter::raw(std::string_view json) {
  separate();
  put(json);
  done();
}

void JsonWriter::begin_record(TimePoint ts, std::string_view kind) {
  begin_object();
  key("ts");
  value_ts(ts);
  key("kind");
  value(kind);
}

namespace {
constexpr char k_hex[] = "0123456789abcdef";

// True for bytes that go into a JSON string as they are: printable ASCII but '"' and '\\'.
constexpr auto k_plain = [] {
  struct Table {
    bool v[256];
    constexpr bool operator[](unsigned char c) const { return v[c]; }
  } t{};
  for (int c = 0x20; c < 0x80; ++c)
    t.v[c] = c != '"' && c != '\\';
  return t;
}();

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) { return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0; // overlong
    if (b0 == 0xED && b1 > 0x9F) return 0; // UTF-16 surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0; // overlong
    if (b0 == 0xF4 && b1 > 0x8F) return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}
} // namespace

void JsonWriter::put_string(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n && k_plain[p[i]])
    ++i;
  if (i == n) {
    char* d = room(n + 2);
    d[0] = '"';
    if (n) std::memcpy(d + 1, s.data(), n);
    d[n + 1] = '"';
    m_pos += n + 2;
    return;
  }
  sync();
  append_json_string(m_out, s);
  m_pos = m_out.data() + m_out.size();
  m_end = m_pos;
  m_grown = m_out.size();
}

void append_json_string(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n && k_plain[p[i]])
    ++i;
  if (i == n) { // the common case: printable ASCII only, copied in one go
    const std::size_t start = out.size();
    out.resize(start + n + 2);
    char* d = out.data() + start;
    d[0] = '"';
    if (n) std::memcpy(d + 1, s.data(), n);
    d[n + 1] = '"';
    return;
  }
  out.push_back('"');
  std::size_t run_start = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (k_plain[c]) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      std::size_t len = utf8_sequence_length(s, i);
      if (len != 0) {
        i += len;
        continue;
      }
      out.append(s.data() + run_start, i - run_start);
      out.append("\xEF\xBF\xBD"); // U+FFFD REPLACEMENT CHARACTER
      ++i;
      run_start = i;
      continue;
    }
    out.append(s.data() + run_start, i - run_start);
    switch (c) {
    case '"': out.append("\\\""); break;
    case '\\': out.append("\\\\"); break;
    case '\n': out.append("\\n"); break;
    case '\r': out.append("\\r"); break;
    case '\t': out.append("\\t"); break;
    case '\b': out.append("\\b"); break;
    case '\f': out.append("\\f"); break;
    default: {
      char esc[6] = {'\\', 'u', '0', '0', k_hex[c >> 4], k_hex[c & 15]};
      out.append(esc, 6);
    }
    }
    ++i;
    run_start = i;
  }
  out.append(s.data() + run_start, n - run_start);
  out.push_back('"');
}

} // namespace iot
