#include <catch2/catch.hpp>

#include "iot/record/json_writer.hpp"

using iot::JsonWriter;

TEST_CASE("iot::JsonWriter writes nested objects and arrays with commas") {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("a", 1);
  w.key("b");
  w.begin_array();
  w.value(1);
  w.value("x");
  w.begin_object();
  w.end_object();
  w.end_array();
  w.field("c", true);
  w.field_null("d");
  w.end_object();
  CHECK(out == R"({"a":1,"b":[1,"x",{}],"c":true,"d":null})");
}

TEST_CASE("iot::append_json_string escapes control characters, quotes and backslashes") {
  std::string out;
  iot::append_json_string(out, std::string_view("a\"b\\c\n\t\x01\x1f", 9));
  CHECK(out == R"("a\"b\\c\n\t\u0001\u001f")");
}

TEST_CASE("iot::append_json_string keeps valid UTF-8 and replaces invalid bytes") {
  std::string out;
  iot::append_json_string(out, "缓冲值 €");
  CHECK(out == "\"缓冲值 €\"");
  out.clear();
  iot::append_json_string(out, std::string_view("a\xff"
                                                "b\xc3",
                                                4)); // stray byte, truncated sequence
  CHECK(out == "\"a\xEF\xBF\xBD"
               "b\xEF\xBF\xBD\"");
  out.clear();
  iot::append_json_string(out, "\xED\xA0\x80"); // a UTF-16 surrogate is not valid UTF-8
  CHECK(out == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  out.clear();
  iot::append_json_string(out, "\xC0\xAF"); // overlong '/'
  CHECK(out == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST_CASE("iot::JsonWriter prints numbers that read back exactly") {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.value(0.1);
  w.value(12.0);
  w.value(-3.5e-7);
  w.value(std::numeric_limits<double>::quiet_NaN());
  w.value(std::numeric_limits<double>::infinity());
  w.value(std::int64_t{-9223372036854775807 - 1});
  w.value(std::uint64_t{18446744073709551615ULL});
  w.end_array();
  CHECK(out == "[0.1,12,-3.5e-07,null,null,-9223372036854775808,18446744073709551615]");
}

TEST_CASE("iot::format_json_double writes what JsonWriter::value(double) writes") {
  const double cases[] = {0.1,
                          12.0,
                          -0.0,
                          -3.5e-7,
                          1e300,
                          -2.2250738585072014e-308,
                          9.007199254740992e15,
                          123456.789,
                          std::numeric_limits<double>::quiet_NaN(),
                          -std::numeric_limits<double>::infinity()};
  for (double v : cases) {
    std::string via_writer;
    {
      JsonWriter w(via_writer);
      w.value(v);
    }
    char buf[32];
    char* end = iot::format_json_double(v, buf);
    CHECK(std::string(buf, static_cast<std::size_t>(end - buf)) == via_writer);
  }
  auto text = [](double v) {
    char buf[32];
    return std::string(buf, static_cast<std::size_t>(iot::format_json_double(v, buf) - buf));
  };
  CHECK(text(-0.0) == "0");
  CHECK(text(2.5) == "2.5");
  CHECK(text(-1e21) == "-1e+21");
  // Integral doubles past 2^53 keep an exponent, so they read back as doubles
  // rather than as (possibly different) exact integers.
  CHECK(text(1.8446744073709552e17) == "1.8446744073709552e+17");
  CHECK(text(9.007199254740992e15) == "9.007199254740992e+15");
  CHECK(text(9007199254740991.0) == "9007199254740991");
  CHECK(text(std::numeric_limits<double>::quiet_NaN()) == "null");
}

TEST_CASE("iot::JsonWriter::begin_record starts with ts and kind") {
  std::string out;
  JsonWriter w(out);
  w.begin_record(*iot::parse_ts("2026-11-21T08:00:00.123Z"), "frame");
  w.field("unit", 1);
  w.end_object();
  CHECK(out == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"frame","unit":1})");
}

TEST_CASE("iot::JsonWriter leaves the string exact at the top level and after an abandoned record") {
  std::string out = "prefix|";
  {
    JsonWriter w(out);
    w.begin_object();
    w.field("a", "x\ny");
    w.end_object();
    CHECK(out == "prefix|{\"a\":\"x\\ny\"}");
    out.clear(); // the owner flushed the line: the writer must not grow it back
  }
  CHECK(out.empty());
  {
    JsonWriter w(out);
    w.begin_object();
    w.field("long", std::string(2000, 'z'));
  } // abandoned mid-record: the chunk it grew is trimmed to what was written
  CHECK(out.size() == std::string(R"({"long":")").size() + 2000 + 1);
}

TEST_CASE("iot::append_json_string finds special bytes at every position of long strings") {
  for (char special : {'"', '\\', '\n', '\x01', '\x7f'}) {
    for (std::size_t pos = 0; pos < 40; ++pos) {
      std::string s(40, 'a');
      s[pos] = special;
      std::string out;
      iot::append_json_string(out, s);
      std::string expected = "\"" + std::string(pos, 'a');
      if (special == '"')
        expected += "\\\"";
      else if (special == '\\')
        expected += "\\\\";
      else if (special == '\n')
        expected += "\\n";
      else if (special == '\x01')
        expected += "\\u0001";
      else
        expected += special; // DEL is printable ASCII for JSON
      expected += std::string(39 - pos, 'a') + "\"";
      INFO("special " << static_cast<int>(special) << " at " << pos);
      CHECK(out == expected);
    }
  }
  std::string out;
  iot::append_json_string(out, std::string(20, 'x') + "\xff" + std::string(20, 'y'));
  CHECK(out == "\"" + std::string(20, 'x') + "\xEF\xBF\xBD" + std::string(20, 'y') + "\"");
}
