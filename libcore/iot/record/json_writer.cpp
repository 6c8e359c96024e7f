#include "iot/record/json_writer.hpp"

#include <charconv>
#include <cmath>

namespace iot {

void JsonWriter::separate() {
  if (m_after_key) {
    m_after_key = false;
    return;
  }
  const std::uint64_t bit = std::uint64_t{1} << (m_depth & 63);
  if (m_has_items & bit) m_out.push_back(',');
  m_has_items |= bit;
}

void JsonWriter::begin_object() {
  separate();
  m_out.push_back('{');
  ++m_depth;
  m_has_items &= ~(std::uint64_t{1} << (m_depth & 63));
}

void JsonWriter::end_object() {
  --m_depth;
  m_out.push_back('}');
}

void JsonWriter::begin_array() {
  separate();
  m_out.push_back('[');
  ++m_depth;
  m_has_items &= ~(std::uint64_t{1} << (m_depth & 63));
}

void JsonWriter::end_array() {
  --m_depth;
  m_out.push_back(']');
}

void JsonWriter::key(std::string_view name) {
  separate();
  append_json_string(m_out, name);
  m_out.push_back(':');
  m_after_key = true;
}

void JsonWriter::value(std::string_view s) {
  separate();
  append_json_string(m_out, s);
}

void JsonWriter::value(bool b) {
  separate();
  m_out.append(b ? "true" : "false");
}

void JsonWriter::value(long long v) {
  separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  m_out.append(buf, r.ptr);
}

void JsonWriter::value(unsigned long long v) {
  separate();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  m_out.append(buf, r.ptr);
}

void JsonWriter::value(double v) {
  separate();
  if (!std::isfinite(v)) {
    m_out.append("null");
    return;
  }
  // Integral values print without exponent or fraction, like the registers they came from.
  if (v == std::trunc(v) && std::fabs(v) < 9.007199254740992e15) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
    if (v == 0 && std::signbit(v)) {
      m_out.append("0");
      return;
    }
    m_out.append(buf, r.ptr);
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back the same
  m_out.append(buf, r.ptr);
}

void JsonWriter::value_ts(TimePoint t) {
  separate();
  char buf[26];
  buf[0] = '"';
  format_ts(t, buf + 1);
  buf[25] = '"';
  m_out.append(buf, 26);
}

void JsonWriter::value_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  separate();
  const std::size_t start = m_out.size();
  m_out.resize(start + 2 * size + 2);
  char* p = m_out.data() + start;
  *p++ = '"';
  for (std::size_t i = 0; i < size; ++i) {
    *p++ = digits[data[i] >> 4];
    *p++ = digits[data[i] & 15];
  }
  *p = '"';
}

void JsonWriter::null() {
  separate();
  m_out.append("null");
}

void JsonWriter::raw(std::string_view json) {
  separate();
  m_out.append(json);
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

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 > 0x9F) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && b1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}
}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t run_start = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
      out.append(s.data() + run_start, i - run_start);
      out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
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
  out.append(s.data() + run_start, s.size() - run_start);
  out.push_back('"');
}

}  // namespace iot
