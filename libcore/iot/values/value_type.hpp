#pragma once
// Typed values over Modbus registers: the value types, the word/byte orders of
// multi-register values, decoding registers into values and encoding values
// into registers, and the engineering conversion (zero, scale, offset, decimals).
//
// Registers travel big-endian on the wire (Modbus Application Protocol V1.1b3
// §4.2); here a register is a host std::uint16_t whose high byte is the first
// byte on the wire. Multi-register layouts are not in the Modbus spec: the
// four orders name the bytes of the big-endian value A B C D (A most significant).
//
// 32-bit types (2 registers), value bytes A B C D (A = most significant):
//   ABCD  reg0 = A B, reg1 = C D    big-endian ("high word first")
//   CDAB  reg0 = C D, reg1 = A B    words swapped ("Modicon float", low word first)
//   BADC  reg0 = B A, reg1 = D C    bytes swapped inside each word
//   DCBA  reg0 = D C, reg1 = B A    little-endian
// 64-bit types (4 registers), value bytes A B C D E F G H (A = most significant):
//   ABCD  reg0 = A B, reg1 = C D, reg2 = E F, reg3 = G H   big-endian
//   CDAB  reg0 = G H, reg1 = E F, reg2 = C D, reg3 = A B   word order reversed,
//                                                          bytes in a word big-endian
//   BADC  reg0 = B A, reg1 = D C, reg2 = F E, reg3 = H G   words in order, bytes swapped
//   DCBA  reg0 = H G, reg1 = F E, reg2 = D C, reg3 = B A   little-endian
// 16-bit types (u16 i16 f16 bcd16) honour the byte half of the order: BADC and
// DCBA swap the two bytes of the register, ABCD and CDAB do not.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace iot::values {

enum class ValueType { u16, i16, u32, i32, u64, i64, f16, f32, f64, bit, string, bcd16, bcd32 };
enum class WordOrder { abcd, cdab, badc, dcba };
// Where the first character of a string sits in a register: high byte first is the
// usual convention (2 chars per register); some devices put it in the low byte.
enum class ByteOrder { high_first, low_first };

// A decoded value. Integers keep their exact value (unsigned types as
// std::uint64_t, signed and BCD as std::int64_t); floats are double; bit is bool.
using Value = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string>;

// Names. Parsing is case-insensitive and accepts aliases: uint16 word ushort, int16
// short int, uint32 udint dword ulong, int32 dint long, uint64, int64, float16 half,
// float32 float real, float64 double lreal, bool boolean coil, str ascii, bcd.
std::optional<ValueType> parse_value_type(std::string_view text);
std::string_view value_type_name(ValueType type);                 // canonical: "u16", "f32", "bcd16"
std::optional<WordOrder> parse_word_order(std::string_view text); // "ABCD", "cdab", ...
std::string_view word_order_name(WordOrder order);                // "ABCD"
std::optional<ByteOrder> parse_byte_order(std::string_view text); // "high_first"|"hi"|"AB", "low_first"|"lo"|"BA"
std::string_view byte_order_name(ByteOrder order);                // "high_first"

// Same as above but throwing iot::Error(usage) with a message listing the valid names.
ValueType value_type_from(std::string_view text);
WordOrder word_order_from(std::string_view text);

bool is_integer(ValueType type); // u16 i16 u32 i32 u64 i64 bcd16 bcd32
bool is_float(ValueType type);   // f16 f32 f64
bool is_signed(ValueType type);  // i16 i32 i64 (and floats)
// Number of registers the type occupies; strings need string_length (bytes, 2 per
// register, rounded up); bit takes 1 register (a bit inside it) or 1 coil/input.
std::uint16_t register_count(ValueType type, std::size_t string_length = 0);

// Everything needed to turn registers into a value and back.
struct Format {
  ValueType type = ValueType::u16;
  WordOrder order = WordOrder::abcd;
  ByteOrder byte_order = ByteOrder::high_first; // strings only
  std::uint8_t bit = 0;                         // type bit on a register: bit index 0 (LSB) - 15
  std::uint16_t length = 0;                     // type string: length in bytes (characters)
};
std::uint16_t register_count(const Format& format);

// Decodes the first register_count(format) words. Throws iot::Error(data) when
// there are too few words or a BCD nibble is not a decimal digit. Strings stop at
// the first NUL and have trailing spaces and NULs trimmed.
Value decode(std::span<const std::uint16_t> words, const Format& format);
Value decode(std::span<const std::uint16_t> words, ValueType type, WordOrder order = WordOrder::abcd);

// Encodes a value into register_count(format) registers. Numbers convert between
// kinds (a double for an integer type is rounded to nearest); out-of-range values,
// non-numbers for numeric types and values that do not fit BCD throw iot::Error(data).
// Strings are padded with NULs to `length` (or cut to it). Type bit gives one
// register with only that bit set or clear: use set_bit for read-modify-write.
std::vector<std::uint16_t> encode(const Value& value, const Format& format);
std::vector<std::uint16_t> encode(const Value& value, ValueType type, WordOrder order = WordOrder::abcd);

// `word` with bit `bit` set to `on`.
constexpr std::uint16_t set_bit(std::uint16_t word, unsigned bit, bool on) {
  const auto mask = static_cast<std::uint16_t>(1u << (bit & 15u));
  return on ? static_cast<std::uint16_t>(word | mask) : static_cast<std::uint16_t>(word & ~mask);
}

// IEEE 754 binary16 <-> double (round to nearest even; overflow gives infinity).
double half_to_double(std::uint16_t half);
// A float as the double of its shortest decimal form (123.456f -> 123.456).
double float_to_decimal_double(float f);
std::uint16_t double_to_half(double value);

// The value as a double (bool 0/1); nullopt for monostate and strings.
std::optional<double> to_double(const Value& value);
// Human-readable text: "12.5", "true", the string itself, "" for monostate.
std::string to_string(const Value& value);
// As above, but a double decoded from an f32 or f16 prints in the shortest form that
// reads back as the same float ("123.456", not "123.45600128173828").
std::string to_string(const Value& value, ValueType type);

// Engineering conversion of a raw numeric value (see docs/config.md):
//   eng = ((raw - zero) * scale + offset) / 10^decimals
// rounded half away from zero to `decimals` fraction digits when decimals is set.
// The inverse used for writes:
//   raw = (eng * 10^decimals - offset) / scale + zero
// then rounded to nearest for integer types by encode().
struct Scaling {
  double zero = 0;             // 清零值: the raw reading that means "nothing"
  double scale = 1;            // multiplier
  double offset = 0;           // added after scaling
  std::optional<int> decimals; // 小数点: divide by 10^n and round to n digits (0-9)
  bool identity() const { return zero == 0 && scale == 1 && offset == 0 && !decimals; }
};
double to_engineering(double raw, const Scaling& scaling);
double to_raw(double engineering, const Scaling& scaling);
// On Values: identity scaling and non-numeric values (bool, string) pass through
// unchanged; numbers become double.
Value to_engineering(const Value& raw, const Scaling& scaling);
Value to_raw(const Value& engineering, const Scaling& scaling);

} // namespace iot::values
