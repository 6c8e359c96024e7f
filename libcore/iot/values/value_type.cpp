#include "iot/values/value_type.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>

#include "iot/core/error.hpp"
#include "iot/core/text.hpp"

namespace iot::values {

namespace {

struct TypeName {
  std::string_view name;
  ValueType type;
};
// Canonical names first: value_type_name() picks the first entry of a type.
constexpr std::array k_type_names{
    TypeName{"u16", ValueType::u16},
    TypeName{"i16", ValueType::i16},
    TypeName{"u32", ValueType::u32},
    TypeName{"i32", ValueType::i32},
    TypeName{"u64", ValueType::u64},
    TypeName{"i64", ValueType::i64},
    TypeName{"f16", ValueType::f16},
    TypeName{"f32", ValueType::f32},
    TypeName{"f64", ValueType::f64},
    TypeName{"bit", ValueType::bit},
    TypeName{"string", ValueType::string},
    TypeName{"bcd16", ValueType::bcd16},
    TypeName{"bcd32", ValueType::bcd32},
    // aliases
    TypeName{"uint16", ValueType::u16},
    TypeName{"word", ValueType::u16},
    TypeName{"ushort", ValueType::u16},
    TypeName{"uint", ValueType::u16},
    TypeName{"int16", ValueType::i16},
    TypeName{"short", ValueType::i16},
    TypeName{"int", ValueType::i16},
    TypeName{"uint32", ValueType::u32},
    TypeName{"udint", ValueType::u32},
    TypeName{"dword", ValueType::u32},
    TypeName{"ulong", ValueType::u32},
    TypeName{"int32", ValueType::i32},
    TypeName{"dint", ValueType::i32},
    TypeName{"long", ValueType::i32},
    TypeName{"uint64", ValueType::u64},
    TypeName{"ulint", ValueType::u64},
    TypeName{"lword", ValueType::u64},
    TypeName{"int64", ValueType::i64},
    TypeName{"lint", ValueType::i64},
    TypeName{"float16", ValueType::f16},
    TypeName{"half", ValueType::f16},
    TypeName{"float32", ValueType::f32},
    TypeName{"float", ValueType::f32},
    TypeName{"real", ValueType::f32},
    TypeName{"float64", ValueType::f64},
    TypeName{"double", ValueType::f64},
    TypeName{"lreal", ValueType::f64},
    TypeName{"bool", ValueType::bit},
    TypeName{"boolean", ValueType::bit},
    TypeName{"coil", ValueType::bit},
    TypeName{"str", ValueType::string},
    TypeName{"ascii", ValueType::string},
    TypeName{"bcd", ValueType::bcd16},
};

constexpr std::array<std::string_view, 4> k_order_names{"ABCD", "CDAB", "BADC", "DCBA"};

bool swaps_words(WordOrder o) { return o == WordOrder::cdab || o == WordOrder::dcba; }
bool swaps_bytes(WordOrder o) { return o == WordOrder::badc || o == WordOrder::dcba; }
std::uint16_t bswap16(std::uint16_t w) { return static_cast<std::uint16_t>((w << 8) | (w >> 8)); }

std::size_t byte_width(ValueType t) {
  switch (t) {
  case ValueType::u32:
  case ValueType::i32:
  case ValueType::f32:
  case ValueType::bcd32: return 4;
  case ValueType::u64:
  case ValueType::i64:
  case ValueType::f64: return 8;
  default: return 2;
  }
}

// The registers as one unsigned big-endian integer of `n` registers, undoing `order`.
std::uint64_t gather(std::span<const std::uint16_t> words, std::size_t n, WordOrder order) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint16_t w = words[swaps_words(order) ? n - 1 - i : i];
    if (swaps_bytes(order)) w = bswap16(w);
    v = (v << 16) | w;
  }
  return v;
}

std::vector<std::uint16_t> scatter(std::uint64_t v, std::size_t n, WordOrder order) {
  std::vector<std::uint16_t> words(n);
  for (std::size_t i = 0; i < n; ++i) {
    // i-th register in value order, most significant first
    auto w = static_cast<std::uint16_t>(v >> (16 * (n - 1 - i)));
    if (swaps_bytes(order)) w = bswap16(w);
    words[swaps_words(order) ? n - 1 - i : i] = w;
  }
  return words;
}

std::int64_t from_bcd(std::uint64_t v, unsigned digits) {
  std::int64_t out = 0;
  for (unsigned i = 0; i < digits; ++i) {
    const unsigned nibble = static_cast<unsigned>(v >> (4 * (digits - 1 - i))) & 0xFu;
    if (nibble > 9)
      throw data_error(
          fmt::format("invalid BCD value 0x{:0{}X}: nibble {:X} is not a decimal digit", v, digits, nibble));
    out = out * 10 + nibble;
  }
  return out;
}

std::uint64_t to_bcd(std::uint64_t v, unsigned digits) {
  std::uint64_t out = 0;
  for (unsigned i = 0; i < digits; ++i) {
    out |= (v % 10) << (4 * i);
    v /= 10;
  }
  return out;
}

// A Value as a number for encoding. Strings are parsed ("12.5", "-3", "0x10", "true").
struct Number {
  bool is_float = false;
  double d = 0;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  bool negative = false;
};

Number number_of(const Value& value, ValueType type) {
  Number n;
  if (auto b = std::get_if<bool>(&value)) {
    n.u = *b ? 1 : 0;
    n.i = static_cast<std::int64_t>(n.u);
    n.d = static_cast<double>(n.u);
  } else if (auto i = std::get_if<std::int64_t>(&value)) {
    n.i = *i;
    n.negative = *i < 0;
    n.u = static_cast<std::uint64_t>(*i);
    n.d = static_cast<double>(*i);
  } else if (auto u = std::get_if<std::uint64_t>(&value)) {
    n.u = *u;
    n.i = static_cast<std::int64_t>(*u);
    n.d = static_cast<double>(*u);
  } else if (auto d = std::get_if<double>(&value)) {
    n.is_float = true;
    n.d = *d;
  } else if (auto s = std::get_if<std::string>(&value)) {
    const std::string t = to_lower(*s);
    if (t == "true" || t == "on") return number_of(Value{true}, type);
    if (t == "false" || t == "off") return number_of(Value{false}, type);
    const char* b = t.data();
    const char* e = b + t.size();
    if (t.size() > 2 && t[0] == '0' && t[1] == 'x') {
      std::uint64_t u = 0;
      auto r = std::from_chars(b + 2, e, u, 16);
      if (r.ec == std::errc() && r.ptr == e) return number_of(Value{u}, type);
    } else {
      std::int64_t i = 0;
      auto r = std::from_chars(b, e, i);
      if (r.ec == std::errc() && r.ptr == e) return number_of(Value{i}, type);
      std::uint64_t u = 0;
      r = std::from_chars(b, e, u);
      if (r.ec == std::errc() && r.ptr == e) return number_of(Value{u}, type);
      double d = 0;
      r = std::from_chars(b, e, d);
      if (r.ec == std::errc() && r.ptr == e) return number_of(Value{d}, type);
    }
    throw data_error(fmt::format("'{}' is not a number for type {}", *s, value_type_name(type)));
  } else {
    throw data_error(fmt::format("no value to encode as {}", value_type_name(type)));
  }
  return n;
}

// Integer in [lo, hi] (as int64 when signed range, else uint64 bits).
std::uint64_t checked_integer(const Value& value, ValueType type, long double lo, long double hi) {
  const Number n = number_of(value, type);
  if (n.is_float) {
    if (!std::isfinite(n.d)) throw data_error(fmt::format("{} cannot hold {}", value_type_name(type), n.d));
    const long double r = std::nearbyint(static_cast<long double>(n.d));
    if (r < lo || r > hi)
      throw data_error(fmt::format("{} is out of range for {} ({} to {})", n.d, value_type_name(type),
                                   static_cast<double>(lo), static_cast<double>(hi)));
    if (r < 0) return static_cast<std::uint64_t>(static_cast<std::int64_t>(r));
    return static_cast<std::uint64_t>(r);
  }
  const long double x = n.negative ? static_cast<long double>(n.i) : static_cast<long double>(n.u);
  if (x < lo || x > hi) {
    const std::string shown = n.negative ? std::to_string(n.i) : std::to_string(n.u);
    throw data_error(fmt::format("{} is out of range for {} ({:.0f} to {:.0f})", shown, value_type_name(type),
                                 static_cast<double>(lo), static_cast<double>(hi)));
  }
  return n.negative ? static_cast<std::uint64_t>(n.i) : n.u;
}

double pow10(int n) {
  double p = 1;
  for (int i = 0; i < n; ++i)
    p *= 10;
  return p;
}

} // namespace

std::optional<ValueType> parse_value_type(std::string_view text) {
  const std::string t = to_lower(text);
  for (const auto& e : k_type_names)
    if (e.name == t) return e.type;
  return std::nullopt;
}

std::string_view value_type_name(ValueType type) {
  for (const auto& e : k_type_names)
    if (e.type == type) return e.name;
  return "?";
}

std::optional<WordOrder> parse_word_order(std::string_view text) {
  std::string t = to_lower(text);
  for (std::size_t i = 0; i < k_order_names.size(); ++i)
    if (to_lower(k_order_names[i]) == t) return static_cast<WordOrder>(i);
  if (t == "big" || t == "be") return WordOrder::abcd;
  if (t == "little" || t == "le") return WordOrder::dcba;
  return std::nullopt;
}

std::string_view word_order_name(WordOrder order) { return k_order_names[static_cast<std::size_t>(order)]; }

std::optional<ByteOrder> parse_byte_order(std::string_view text) {
  const std::string t = to_lower(text);
  if (t == "high_first" || t == "hi" || t == "high" || t == "ab" || t == "big") return ByteOrder::high_first;
  if (t == "low_first" || t == "lo" || t == "low" || t == "ba" || t == "little") return ByteOrder::low_first;
  return std::nullopt;
}

std::string_view byte_order_name(ByteOrder order) {
  return order == ByteOrder::high_first ? "high_first" : "low_first";
}

ValueType value_type_from(std::string_view text) {
  if (auto t = parse_value_type(text)) return *t;
  throw usage_error(fmt::format("unknown value type '{}' (expected u16, i16, u32, i32, u64, i64, f16, f32, f64, "
                                "bit, string, bcd16 or bcd32)",
                                text));
}

WordOrder word_order_from(std::string_view text) {
  if (auto o = parse_word_order(text)) return *o;
  throw usage_error(fmt::format("unknown word order '{}' (expected ABCD, CDAB, BADC or DCBA)", text));
}

bool is_integer(ValueType t) {
  switch (t) {
  case ValueType::u16:
  case ValueType::i16:
  case ValueType::u32:
  case ValueType::i32:
  case ValueType::u64:
  case ValueType::i64:
  case ValueType::bcd16:
  case ValueType::bcd32: return true;
  default: return false;
  }
}

bool is_float(ValueType t) { return t == ValueType::f16 || t == ValueType::f32 || t == ValueType::f64; }

bool is_signed(ValueType t) { return t == ValueType::i16 || t == ValueType::i32 || t == ValueType::i64 || is_float(t); }

std::uint16_t register_count(ValueType type, std::size_t string_length) {
  if (type == ValueType::string)
    return static_cast<std::uint16_t>(std::min<std::size_t>((string_length + 1) / 2, 0xFFFF));
  if (type == ValueType::bit) return 1;
  return static_cast<std::uint16_t>(byte_width(type) / 2);
}

std::uint16_t register_count(const Format& f) { return register_count(f.type, f.length); }

// The double nearest the shortest decimal that reads back as `f`: a register
// holding the float 123.456 decodes as 123.456, not 123.45600128173828, which is
// what the device meant and what a user typed into a simulator.
double float_to_decimal_double(float f) {
  if (!std::isfinite(f)) return static_cast<double>(f);
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  double d = 0;
  std::from_chars(buf, r.ptr, d);
  return d;
}

Value decode(std::span<const std::uint16_t> words, ValueType type, WordOrder order) {
  Format f;
  f.type = type;
  f.order = order;
  return decode(words, f);
}

Value decode(std::span<const std::uint16_t> words, const Format& f) {
  std::size_t need = register_count(f);
  if (f.type == ValueType::string && f.length == 0) need = words.size();
  if (words.size() < need)
    throw data_error(fmt::format("{} needs {} register(s), got {}", value_type_name(f.type), need, words.size()));
  const std::size_t n = need;
  switch (f.type) {
  case ValueType::bit: return Value{((words[0] >> (f.bit & 15u)) & 1u) != 0};
  case ValueType::string: {
    const std::size_t len = f.length ? f.length : 2 * n;
    std::string s;
    s.reserve(len);
    for (std::size_t i = 0; i < len; ++i) {
      const std::uint16_t w = words[i / 2];
      const bool high = (i % 2 == 0) == (f.byte_order == ByteOrder::high_first);
      const char c = static_cast<char>(high ? (w >> 8) : (w & 0xFF));
      if (c == '\0') break;
      s.push_back(c);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0'))
      s.pop_back();
    return Value{std::move(s)};
  }
  default: break;
  }
  const std::uint64_t raw = gather(words, n, f.order);
  switch (f.type) {
  case ValueType::u16:
  case ValueType::u32:
  case ValueType::u64: return Value{raw};
  case ValueType::i16: return Value{static_cast<std::int64_t>(static_cast<std::int16_t>(raw))};
  case ValueType::i32: return Value{static_cast<std::int64_t>(static_cast<std::int32_t>(raw))};
  case ValueType::i64: return Value{static_cast<std::int64_t>(raw)};
  case ValueType::f16: return Value{half_to_double(static_cast<std::uint16_t>(raw))};
  case ValueType::f32: return Value{float_to_decimal_double(std::bit_cast<float>(static_cast<std::uint32_t>(raw)))};
  case ValueType::f64: return Value{std::bit_cast<double>(raw)};
  case ValueType::bcd16: return Value{from_bcd(raw, 4)};
  case ValueType::bcd32: return Value{from_bcd(raw, 8)};
  default: return Value{};
  }
}

std::vector<std::uint16_t> encode(const Value& value, ValueType type, WordOrder order) {
  Format f;
  f.type = type;
  f.order = order;
  if (type == ValueType::string) {
    if (auto s = std::get_if<std::string>(&value))
      f.length = static_cast<std::uint16_t>(std::min<std::size_t>(s->size(), 0xFFFE));
  }
  return encode(value, f);
}

std::vector<std::uint16_t> encode(const Value& value, const Format& f) {
  const std::size_t n = register_count(f);
  switch (f.type) {
  case ValueType::bit: {
    const bool on = checked_integer(value, f.type, 0, 1) != 0;
    return {set_bit(0, f.bit, on)};
  }
  case ValueType::string: {
    std::string s;
    if (auto p = std::get_if<std::string>(&value))
      s = *p;
    else
      s = to_string(value);
    std::vector<std::uint16_t> words(n, 0);
    for (std::size_t i = 0; i < std::min<std::size_t>(s.size(), f.length); ++i) {
      const auto c = static_cast<std::uint8_t>(s[i]);
      const bool high = (i % 2 == 0) == (f.byte_order == ByteOrder::high_first);
      words[i / 2] = static_cast<std::uint16_t>(words[i / 2] | (high ? c << 8 : c));
    }
    return words;
  }
  default: break;
  }
  std::uint64_t raw = 0;
  switch (f.type) {
  case ValueType::u16: raw = checked_integer(value, f.type, 0, 65535); break;
  case ValueType::i16: raw = checked_integer(value, f.type, -32768, 32767) & 0xFFFF; break;
  case ValueType::u32: raw = checked_integer(value, f.type, 0, 4294967295.0L); break;
  case ValueType::i32: raw = checked_integer(value, f.type, -2147483648.0L, 2147483647.0L) & 0xFFFFFFFFu; break;
  case ValueType::u64:
    raw = checked_integer(value, f.type, 0, static_cast<long double>(std::numeric_limits<std::uint64_t>::max()));
    break;
  case ValueType::i64:
    raw = checked_integer(value, f.type, static_cast<long double>(std::numeric_limits<std::int64_t>::min()),
                          static_cast<long double>(std::numeric_limits<std::int64_t>::max()));
    break;
  case ValueType::bcd16: raw = to_bcd(checked_integer(value, f.type, 0, 9999), 4); break;
  case ValueType::bcd32: raw = to_bcd(checked_integer(value, f.type, 0, 99999999), 8); break;
  case ValueType::f16:
  case ValueType::f32:
  case ValueType::f64: {
    const Number num = number_of(value, f.type);
    double d = num.is_float ? num.d : (num.negative ? static_cast<double>(num.i) : static_cast<double>(num.u));
    if (f.type == ValueType::f16)
      raw = double_to_half(d);
    else if (f.type == ValueType::f32)
      raw = std::bit_cast<std::uint32_t>(static_cast<float>(d));
    else
      raw = std::bit_cast<std::uint64_t>(d);
    break;
  }
  default: break;
  }
  return scatter(raw, n, f.order);
}

double half_to_double(std::uint16_t h) {
  const bool negative = (h & 0x8000u) != 0;
  const int exp = (h >> 10) & 0x1F;
  const int mant = h & 0x3FF;
  double v;
  if (exp == 0)
    v = std::ldexp(mant, -24); // subnormal
  else if (exp == 31)
    v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else
    v = std::ldexp(1024 + mant, exp - 25);
  return negative ? -v : v;
}

std::uint16_t double_to_half(double value) {
  const std::uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  if (std::isnan(value)) return 0x7E00;
  const double a = std::fabs(value);
  if (a >= 65520.0) return sign | 0x7C00; // rounds to infinity (max finite 65504)
  if (a < std::ldexp(1.0, -14)) {
    // subnormal: units of 2^-24; 1024 units rounds up into the smallest normal, which the
    // bit layout gives for free
    const auto m = static_cast<std::uint16_t>(std::nearbyint(std::ldexp(a, 24)));
    return sign | m;
  }
  int e = 0;
  const double f = std::frexp(a, &e); // a = f * 2^e, f in [0.5, 1)
  int exp = e - 1;                    // a = (2f) * 2^exp, 2f in [1, 2)
  auto mant = static_cast<int>(std::nearbyint((2 * f - 1) * 1024));
  if (mant == 1024) {
    mant = 0;
    ++exp;
  }
  if (exp + 15 >= 31) return sign | 0x7C00;
  return static_cast<std::uint16_t>(sign | ((exp + 15) << 10) | mant);
}

std::optional<double> to_double(const Value& value) {
  if (auto b = std::get_if<bool>(&value)) return *b ? 1.0 : 0.0;
  if (auto i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  if (auto u = std::get_if<std::uint64_t>(&value)) return static_cast<double>(*u);
  if (auto d = std::get_if<double>(&value)) return *d;
  return std::nullopt;
}

std::string to_string(const Value& value) {
  if (auto b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (auto i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (auto u = std::get_if<std::uint64_t>(&value)) return std::to_string(*u);
  if (auto d = std::get_if<double>(&value)) return fmt::format("{}", *d);
  if (auto s = std::get_if<std::string>(&value)) return *s;
  return {};
}

std::string to_string(const Value& value, ValueType type) {
  if (auto d = std::get_if<double>(&value); d && (type == ValueType::f32 || type == ValueType::f16)) {
    const auto f = static_cast<float>(*d);
    if (static_cast<double>(f) == *d) return fmt::format("{}", f);
  }
  return to_string(value);
}

double to_engineering(double raw, const Scaling& s) {
  double v = (raw - s.zero) * s.scale + s.offset;
  if (s.decimals) {
    const double p = pow10(*s.decimals);
    v /= p;
    v = std::round(v * p) / p; // std::round: half away from zero
    if (v == 0) v = 0;         // no "-0"
  }
  return v;
}

double to_raw(double engineering, const Scaling& s) {
  double v = engineering;
  if (s.decimals) v *= pow10(*s.decimals);
  if (s.scale == 0) throw data_error("cannot write a point whose scale is 0");
  return (v - s.offset) / s.scale + s.zero;
}

Value to_engineering(const Value& raw, const Scaling& s) {
  if (s.identity()) return raw;
  if (std::holds_alternative<bool>(raw) || std::holds_alternative<std::string>(raw) ||
      std::holds_alternative<std::monostate>(raw))
    return raw;
  return Value{to_engineering(*to_double(raw), s)};
}

Value to_raw(const Value& engineering, const Scaling& s) {
  if (s.identity()) return engineering;
  if (auto str = std::get_if<std::string>(&engineering)) {
    const Number n = number_of(engineering, ValueType::f64);
    (void)str;
    return Value{to_raw(n.is_float ? n.d : (n.negative ? static_cast<double>(n.i) : static_cast<double>(n.u)), s)};
  }
  if (std::holds_alternative<bool>(engineering) || std::holds_alternative<std::monostate>(engineering))
    return engineering;
  return Value{to_raw(*to_double(engineering), s)};
}

} // namespace iot::values
