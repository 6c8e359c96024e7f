#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "iot/core/error.hpp"
#include "iot/values/value_type.hpp"

using namespace iot::values;
using Words = std::vector<std::uint16_t>;

TEST_CASE("iot::values::names") {
  CHECK(parse_value_type("u16") == ValueType::u16);
  CHECK(parse_value_type("UINT16") == ValueType::u16);
  CHECK(parse_value_type("int32") == ValueType::i32);
  CHECK(parse_value_type("float32") == ValueType::f32);
  CHECK(parse_value_type("float") == ValueType::f32);
  CHECK(parse_value_type("double") == ValueType::f64);
  CHECK(parse_value_type("bool") == ValueType::bit);
  CHECK(parse_value_type("bcd") == ValueType::bcd16);
  CHECK_FALSE(parse_value_type("u17"));
  CHECK(value_type_name(ValueType::f32) == "f32");
  CHECK(value_type_name(ValueType::bcd32) == "bcd32");
  for (auto t :
       {ValueType::u16, ValueType::i16, ValueType::u32, ValueType::i32, ValueType::u64, ValueType::i64, ValueType::f16,
        ValueType::f32, ValueType::f64, ValueType::bit, ValueType::string, ValueType::bcd16, ValueType::bcd32})
    CHECK(parse_value_type(value_type_name(t)) == t);
  CHECK(parse_word_order("cdab") == WordOrder::cdab);
  CHECK(word_order_name(WordOrder::dcba) == "DCBA");
  CHECK_FALSE(parse_word_order("ACBD"));
  CHECK_THROWS_WITH(value_type_from("u17"), Catch::Contains("unknown value type 'u17'"));
  CHECK_THROWS_WITH(word_order_from("AB"), Catch::Contains("ABCD, CDAB, BADC or DCBA"));
  CHECK(register_count(ValueType::u16) == 1);
  CHECK(register_count(ValueType::f32) == 2);
  CHECK(register_count(ValueType::i64) == 4);
  CHECK(register_count(ValueType::bcd32) == 2);
  CHECK(register_count(ValueType::string, 5) == 3);
  CHECK(register_count(ValueType::bit) == 1);
}

TEST_CASE("iot::values::decode 16-bit") {
  CHECK(decode(Words{0xFFFF}, ValueType::u16) == Value{std::uint64_t{65535}});
  CHECK(decode(Words{0xFFFF}, ValueType::i16) == Value{std::int64_t{-1}});
  CHECK(decode(Words{0x8000}, ValueType::i16) == Value{std::int64_t{-32768}});
  CHECK(decode(Words{0x1234}, ValueType::u16, WordOrder::badc) == Value{std::uint64_t{0x3412}});
  CHECK(decode(Words{0x1234}, ValueType::u16, WordOrder::cdab) == Value{std::uint64_t{0x1234}});
  CHECK(decode(Words{0x1234}, ValueType::bcd16) == Value{std::int64_t{1234}});
  CHECK_THROWS_AS(decode(Words{0x12A4}, ValueType::bcd16), iot::Error);
  CHECK_THROWS_WITH(decode(Words{}, ValueType::u16), "u16 needs 1 register(s), got 0");
}

TEST_CASE("iot::values::32-bit orders") {
  struct Case {
    WordOrder order;
    Words words;
  };
  // u32 0x12345678 = bytes A=12 B=34 C=56 D=78
  for (const auto& c : {Case{WordOrder::abcd, {0x1234, 0x5678}}, Case{WordOrder::cdab, {0x5678, 0x1234}},
                        Case{WordOrder::badc, {0x3412, 0x7856}}, Case{WordOrder::dcba, {0x7856, 0x3412}}}) {
    INFO(word_order_name(c.order));
    CHECK(decode(c.words, ValueType::u32, c.order) == Value{std::uint64_t{0x12345678}});
    CHECK(encode(Value{std::uint64_t{0x12345678}}, ValueType::u32, c.order) == c.words);
  }
  // f32 123.456 = 0x42F6E979
  for (const auto& c : {Case{WordOrder::abcd, {0x42F6, 0xE979}}, Case{WordOrder::cdab, {0xE979, 0x42F6}},
                        Case{WordOrder::badc, {0xF642, 0x79E9}}, Case{WordOrder::dcba, {0x79E9, 0xF642}}}) {
    INFO(word_order_name(c.order));
    const Value v = decode(c.words, ValueType::f32, c.order);
    CHECK(std::get<double>(v) == 123.456); // the float read back as the decimal it stands for
    CHECK(static_cast<float>(std::get<double>(v)) == 123.456f);
    CHECK(encode(Value{123.456}, ValueType::f32, c.order) == c.words);
  }
  // i32 -2 = 0xFFFFFFFE; -123456789 = 0xF8A432EB
  CHECK(decode(Words{0xFFFF, 0xFFFE}, ValueType::i32) == Value{std::int64_t{-2}});
  CHECK(decode(Words{0xF8A4, 0x32EB}, ValueType::i32) == Value{std::int64_t{-123456789}});
  CHECK(decode(Words{0x32EB, 0xF8A4}, ValueType::i32, WordOrder::cdab) == Value{std::int64_t{-123456789}});
  CHECK(encode(Value{std::int64_t{-123456789}}, ValueType::i32, WordOrder::dcba) == Words{0xEB32, 0xA4F8});
  // bcd32 12345678
  CHECK(decode(Words{0x1234, 0x5678}, ValueType::bcd32) == Value{std::int64_t{12345678}});
  CHECK(decode(Words{0x5678, 0x1234}, ValueType::bcd32, WordOrder::cdab) == Value{std::int64_t{12345678}});
  CHECK(encode(Value{std::int64_t{12345678}}, ValueType::bcd32) == Words{0x1234, 0x5678});
}

TEST_CASE("iot::values::64-bit orders") {
  struct Case {
    WordOrder order;
    Words words;
  };
  // bytes A..H = 01..08
  for (const auto& c : {Case{WordOrder::abcd, {0x0102, 0x0304, 0x0506, 0x0708}},
                        Case{WordOrder::cdab, {0x0708, 0x0506, 0x0304, 0x0102}},
                        Case{WordOrder::badc, {0x0201, 0x0403, 0x0605, 0x0807}},
                        Case{WordOrder::dcba, {0x0807, 0x0605, 0x0403, 0x0201}}}) {
    INFO(word_order_name(c.order));
    CHECK(decode(c.words, ValueType::u64, c.order) == Value{std::uint64_t{0x0102030405060708}});
    CHECK(encode(Value{std::uint64_t{0x0102030405060708}}, ValueType::u64, c.order) == c.words);
  }
  // f64 123.456 = 0x405EDD2F1A9FBE77
  for (const auto& c : {Case{WordOrder::abcd, {0x405E, 0xDD2F, 0x1A9F, 0xBE77}},
                        Case{WordOrder::cdab, {0xBE77, 0x1A9F, 0xDD2F, 0x405E}},
                        Case{WordOrder::badc, {0x5E40, 0x2FDD, 0x9F1A, 0x77BE}},
                        Case{WordOrder::dcba, {0x77BE, 0x9F1A, 0x2FDD, 0x5E40}}}) {
    INFO(word_order_name(c.order));
    CHECK(decode(c.words, ValueType::f64, c.order) == Value{123.456});
    CHECK(encode(Value{123.456}, ValueType::f64, c.order) == c.words);
  }
  CHECK(decode(Words{0xFFFF, 0xFFFF, 0xFFFF, 0xFF85}, ValueType::i64) == Value{std::int64_t{-123}});
  CHECK(encode(Value{std::int64_t{-123}}, ValueType::i64) == Words{0xFFFF, 0xFFFF, 0xFFFF, 0xFF85});
  CHECK(encode(Value{std::uint64_t{18446744073709551615ull}}, ValueType::u64) == Words{0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF});
}

TEST_CASE("iot::values::f16") {
  CHECK(half_to_double(0x3C00) == 1.0);
  CHECK(half_to_double(0xC000) == -2.0);
  CHECK(half_to_double(0x7BFF) == 65504.0);
  CHECK(half_to_double(0x0400) == std::ldexp(1.0, -14));
  CHECK(half_to_double(0x0001) == std::ldexp(1.0, -24));
  CHECK(std::isinf(half_to_double(0x7C00)));
  CHECK(std::isnan(half_to_double(0x7E00)));
  CHECK(double_to_half(1.0) == 0x3C00);
  CHECK(double_to_half(-2.0) == 0xC000);
  CHECK(double_to_half(65504.0) == 0x7BFF);
  CHECK(double_to_half(1e6) == 0x7C00);
  CHECK(double_to_half(0.1) == 0x2E66);
  CHECK(double_to_half(std::ldexp(1.0, -24)) == 0x0001);
  CHECK(double_to_half(std::ldexp(1.0, -14)) == 0x0400);
  CHECK(double_to_half(0.0) == 0x0000);
  // exhaustive round trip of every finite half
  for (unsigned h = 0; h < 0x10000; ++h) {
    const auto hh = static_cast<std::uint16_t>(h);
    if ((hh & 0x7C00) == 0x7C00) continue;
    if (hh == 0x8000) continue; // -0 round-trips as -0 too, but compare bits below
    REQUIRE(double_to_half(half_to_double(hh)) == hh);
  }
  CHECK(decode(Words{0x3C00}, ValueType::f16) == Value{1.0});
  CHECK(decode(Words{0x003C}, ValueType::f16, WordOrder::badc) == Value{1.0});
  CHECK(encode(Value{1.5}, ValueType::f16) == Words{0x3E00});
}

TEST_CASE("iot::values::strings") {
  Format f;
  f.type = ValueType::string;
  f.length = 4;
  CHECK(decode(Words{0x4142, 0x3132}, f) == Value{std::string("AB12")});
  CHECK(encode(Value{std::string("AB12")}, f) == Words{0x4142, 0x3132});
  CHECK(encode(Value{std::string("ABC")}, f) == Words{0x4142, 0x4300});
  CHECK(decode(Words{0x4142, 0x2020}, f) == Value{std::string("AB")}); // spaces trimmed
  CHECK(decode(Words{0x4100, 0x4343}, f) == Value{std::string("A")});  // stops at NUL
  f.byte_order = ByteOrder::low_first;
  CHECK(decode(Words{0x4241, 0x3231}, f) == Value{std::string("AB12")});
  CHECK(encode(Value{std::string("AB12")}, f) == Words{0x4241, 0x3231});
  f.length = 3;
  CHECK(register_count(f) == 2);
  CHECK(encode(Value{std::string("ABCDEF")}, f) == Words{0x4241, 0x0043}); // cut to length
  CHECK(encode(Value{std::string("AB")}, ValueType::string) == Words{0x4142});
}

TEST_CASE("iot::values::bit") {
  Format f;
  f.type = ValueType::bit;
  f.bit = 3;
  CHECK(decode(Words{0x0008}, f) == Value{true});
  CHECK(decode(Words{0xFFF7}, f) == Value{false});
  CHECK(encode(Value{true}, f) == Words{0x0008});
  CHECK(encode(Value{std::string("off")}, f) == Words{0x0000});
  CHECK(set_bit(0x00F0, 0, true) == 0x00F1);
  CHECK(set_bit(0x00F0, 4, false) == 0x00E0);
  CHECK_THROWS_AS(encode(Value{std::int64_t{2}}, f), iot::Error);
}

TEST_CASE("iot::values::encode range checks") {
  CHECK(encode(Value{std::int64_t{-1}}, ValueType::i16) == Words{0xFFFF});
  CHECK(encode(Value{12.6}, ValueType::u16) == Words{13});
  CHECK(encode(Value{std::string("0x1234")}, ValueType::u16) == Words{0x1234});
  CHECK(encode(Value{std::string("-5")}, ValueType::i32) == Words{0xFFFF, 0xFFFB});
  CHECK(encode(Value{std::string("2.5")}, ValueType::f32) == Words{0x4020, 0x0000});
  CHECK_THROWS_WITH(encode(Value{std::int64_t{65536}}, ValueType::u16), "65536 is out of range for u16 (0 to 65535)");
  CHECK_THROWS_WITH(encode(Value{std::int64_t{-1}}, ValueType::u16), "-1 is out of range for u16 (0 to 65535)");
  CHECK_THROWS_WITH(encode(Value{std::int64_t{40000}}, ValueType::i16),
                    "40000 is out of range for i16 (-32768 to 32767)");
  CHECK_THROWS_WITH(encode(Value{std::string("abc")}, ValueType::u16), "'abc' is not a number for type u16");
  CHECK_THROWS_AS(encode(Value{std::int64_t{10000}}, ValueType::bcd16), iot::Error);
  CHECK_THROWS_AS(encode(Value{}, ValueType::u16), iot::Error);
}

TEST_CASE("iot::values::to_string and to_double") {
  CHECK(to_string(Value{12.5}) == "12.5");
  CHECK(to_string(Value{true}) == "true");
  CHECK(to_string(Value{std::int64_t{-3}}) == "-3");
  CHECK(to_string(Value{}) == "");
  const Value f = decode(Words{0x42F6, 0xE979}, ValueType::f32);
  CHECK(to_string(f) == "123.456"); // decode gives the decimal the float stands for
  CHECK(to_string(f, ValueType::f32) == "123.456");
  CHECK(to_string(Value{0.1}, ValueType::f32) == "0.1"); // not a float value: printed as double
  CHECK(to_string(Value{std::int64_t{5}}, ValueType::f32) == "5");
  CHECK(to_double(Value{std::uint64_t{7}}) == 7.0);
  CHECK_FALSE(to_double(Value{std::string("x")}));
}

TEST_CASE("iot::values::engineering conversion") {
  Scaling s;
  CHECK(s.identity());
  CHECK(to_engineering(Value{std::uint64_t{5}}, s) == Value{std::uint64_t{5}}); // exact when identity
  s.decimals = 1;                                                               // the seed's 小数点: 105 -> 10.5
  CHECK(to_engineering(105, s) == 10.5);
  CHECK(to_raw(10.5, s) == 105);
  s = {};
  s.decimals = 3; // ADW300 power, raw in W
  CHECK(to_engineering(12345, s) == 12.345);
  CHECK(to_engineering(Value{std::int64_t{-1500}}, s) == Value{-1.5});
  s = {};
  s.zero = 4; // 清零值: raw 4 means 0
  s.decimals = 1;
  CHECK(to_engineering(254, s) == 25.0);
  CHECK(to_raw(25.0, s) == 254);
  CHECK(to_engineering(3, s) == -0.1);
  s = {};
  s.scale = 0.5;
  s.offset = -10;
  CHECK(to_engineering(100, s) == 40.0);
  CHECK(to_raw(40.0, s) == 100);
  s.decimals = 2; // ((100 - 0) * 0.5 - 10) / 100 = 0.4
  CHECK(to_engineering(100, s) == 0.4);
  CHECK(to_raw(0.4, s) == Approx(100));
  // rounding to `decimals` digits
  s = {};
  s.scale = 1.0 / 3;
  s.decimals = 2;
  CHECK(to_engineering(100, s) == 0.33);
  s = {};
  s.scale = 0;
  CHECK_THROWS_AS(to_raw(1.0, s), iot::Error);
  // bool and strings pass through
  s.scale = 2;
  CHECK(to_engineering(Value{true}, s) == Value{true});
}
