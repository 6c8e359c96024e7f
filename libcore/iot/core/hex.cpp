#include "iot/core/hex.hpp"

#include <utility>

namespace iot {

namespace {
// 0-15 for hex digits, 0xFF otherwise.
constexpr auto k_nibble = [] {
  struct Table {
    std::uint8_t v[256];
  } t{};
  for (auto& x : t.v)
    x = 0xFF;
  for (int c = '0'; c <= '9'; ++c)
    t.v[c] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    t.v[c] = static_cast<std::uint8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c)
    t.v[c] = static_cast<std::uint8_t>(c - 'A' + 10);
  return t;
}();

constexpr auto k_separator = [] {
  struct Table {
    bool v[256];
  } t{};
  for (unsigned char c : {' ', '\t', ':', ',', '-', ';'})
    t.v[c] = true;
  return t;
}();

bool is_separator(char c) { return k_separator.v[static_cast<unsigned char>(c)]; }
} // namespace

HexResult parse_hex(std::string_view text, std::uint8_t* out, std::size_t capacity) {
  HexResult r;
  const std::size_t n = text.size();
  // Each failure names the 1-based column of the character at fault.
  const auto fail = [&r](std::string message, std::size_t column) {
    r.error = std::move(message);
    r.error_column = column;
    return r;
  };
  const auto not_hex = [](char c) { return std::string("'") + c + "' is not a hex digit"; };
  // The digit at `at`, 0xFF when it is none or past the end.
  const auto nibble = [&](std::size_t at) -> std::uint8_t {
    return at < n ? k_nibble.v[static_cast<unsigned char>(text[at])] : std::uint8_t{0xFF};
  };
  std::size_t i = 0;
  while (i < n) {
    if (is_separator(text[i])) {
      ++i;
      continue;
    }
    const bool prefixed = text[i] == '0' && i + 1 < n && (text[i + 1] == 'x' || text[i + 1] == 'X');
    if (prefixed) {
      i += 2;
      if (nibble(i) == 0xFF) return fail("\"0x\" without hex digits", i);
    }
    const std::uint8_t hi = nibble(i);
    if (hi == 0xFF) return fail(not_hex(text[i]), i + 1);
    const std::uint8_t lo = nibble(i + 1);
    std::size_t digits = 2;
    if (lo == 0xFF) {
      if (!prefixed && i + 1 < n && !is_separator(text[i + 1])) return fail(not_hex(text[i + 1]), i + 2);
      // A prefixed byte may have one digit (0x1), and so may a digit standing alone between
      // separators ("1 3" as written by some loggers); a digit left over after pairs ("033") is
      // a typo.
      if (!prefixed && i > 0 && !is_separator(text[i - 1])) return fail("odd number of hex digits", i + 1);
      digits = 1;
    }
    if (r.size >= capacity) return fail("frame longer than " + std::to_string(capacity) + " bytes", i + 1);
    out[r.size++] = digits == 2 ? static_cast<std::uint8_t>(hi << 4 | lo) : hi;
    i += digits;
  }
  if (r.size == 0) return fail("no bytes", 1);
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

} // namespace iot
