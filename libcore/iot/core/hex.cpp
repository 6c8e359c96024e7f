#include "iot/core/hex.hpp"

namespace iot {

namespace {
// 0-15 for hex digits, 0xFF otherwise.
constexpr auto k_nibble = [] {
  struct Table {
    std::uint8_t v[256];
  } t{};
  for (auto& x : t.v) x = 0xFF;
  for (int c = '0'; c <= '9'; ++c) t.v[c] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t.v[c] = static_cast<std::uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t.v[c] = static_cast<std::uint8_t>(c - 'A' + 10);
  return t;
}();

constexpr auto k_separator = [] {
  struct Table {
    bool v[256];
  } t{};
  for (unsigned char c : {' ', '\t', ':', ',', '-', ';'}) t.v[c] = true;
  return t;
}();

bool is_separator(char c) { return k_separator.v[static_cast<unsigned char>(c)]; }
}  // namespace

HexResult parse_hex(std::string_view text, std::uint8_t* out, std::size_t capacity) {
  HexResult r;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    char c = text[i];
    if (is_separator(c)) {
      ++i;
      continue;
    }
    if (c == '0' && i + 1 < n && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
      i += 2;
      // "0x" must be followed by a hex digit.
      if (i >= n || k_nibble.v[static_cast<unsigned char>(text[i])] == 0xFF) {
        r.error = "\"0x\" without hex digits";
        r.error_column = i;
        return r;
      }
      // A prefixed byte may have one digit: 0x1.
      std::uint8_t hi = k_nibble.v[static_cast<unsigned char>(text[i])];
      std::uint8_t lo = i + 1 < n ? k_nibble.v[static_cast<unsigned char>(text[i + 1])] : 0xFF;
      if (r.size >= capacity) {
        r.error = "frame longer than " + std::to_string(capacity) + " bytes";
        r.error_column = i + 1;
        return r;
      }
      if (lo == 0xFF) {
        out[r.size++] = hi;
        i += 1;
      } else {
        out[r.size++] = static_cast<std::uint8_t>(hi << 4 | lo);
        i += 2;
      }
      continue;
    }
    std::uint8_t hi = k_nibble.v[static_cast<unsigned char>(c)];
    if (hi != 0xFF && i + 1 < n && r.size < capacity) {  // fast path: two hex digits
      std::uint8_t lo = k_nibble.v[static_cast<unsigned char>(text[i + 1])];
      if (lo != 0xFF) {
        out[r.size++] = static_cast<std::uint8_t>(hi << 4 | lo);
        i += 2;
        continue;
      }
    }
    if (hi == 0xFF) {
      r.error = std::string("'") + c + "' is not a hex digit";
      r.error_column = i + 1;
      return r;
    }
    if (i + 1 >= n || is_separator(text[i + 1])) {
      // A digit standing alone between separators is a byte ("1 3" as written by some
      // loggers); a digit left over after pairs ("033") is a typo.
      const bool alone = i == 0 || is_separator(text[i - 1]);
      if (!alone) {
        r.error = "odd number of hex digits";
        r.error_column = i + 1;
        return r;
      }
      if (r.size >= capacity) {
        r.error = "frame longer than " + std::to_string(capacity) + " bytes";
        r.error_column = i + 1;
        return r;
      }
      out[r.size++] = hi;
      i += 1;
      continue;
    }
    if (k_nibble.v[static_cast<unsigned char>(text[i + 1])] == 0xFF) {
      r.error = std::string("'") + text[i + 1] + "' is not a hex digit";
      r.error_column = i + 2;
      return r;
    }
    if (r.size >= capacity) {
      r.error = "frame longer than " + std::to_string(capacity) + " bytes";
      r.error_column = i + 1;
      return r;
    }
    out[r.size++] = static_cast<std::uint8_t>(hi << 4 | k_nibble.v[static_cast<unsigned char>(text[i + 1])]);
    i += 2;
  }
  if (r.size == 0) {
    r.error = "no bytes";
    r.error_column = 1;
  }
  return r;
}

void append_hex(std::string& out, const std::uint8_t* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  const std::size_t start = out.size();
  out.resize(start + size * 2);
  char* p = out.data() + start;
  for (std::size_t i = 0; i < size; ++i) {
    p[2 * i] = digits[data[i] >> 4];
    p[2 * i + 1] = digits[data[i] & 15];
  }
}

}  // namespace iot
