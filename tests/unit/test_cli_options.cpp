// The option types the tools share (cli/options.hpp).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <set>
#include <string>

#include "iot/cli/cli.hpp"
#include "iot/cli/options.hpp"
#include "iot/core/error.hpp"
#include "iot/values/value_type.hpp"

#include "error_test_util.hpp"

using namespace std::chrono_literals;

namespace {
// Parses `args` (after the program name) with `app`.
void parse(CLI::App& app, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end()); // CLI11 takes the vector form in reverse
  app.parse(args);
}
} // namespace

TEST_CASE("iot::cli::duration_option") {
  using iot::cli::duration_option;
  CHECK(duration_option("500ms", "--timeout") == 500ms);
  CHECK(duration_option("1.5s", "--timeout") == 1500ms);
  CHECK(duration_option("2m", "--timeout") == 120s);
  CHECK(duration_option("6h", "--timeout") == 6h);
  CHECK(duration_option("1750us", "--timeout") == 1750us);
  CHECK(duration_option("30", "--timeout") == 30s); // a bare number is seconds
  CHECK(usage_message([] { duration_option("5x", "--interval"); }) ==
        "--interval: not a duration: '5x' (e.g. 500ms, 1s, 6h)");
  CHECK(usage_message([] { duration_option("", "--heart"); }) == "--heart: not a duration: '' (e.g. 500ms, 1s, 6h)");
  CHECK(usage_message([] { duration_option("-1s", "--duration"); }) ==
        "--duration: not a duration: '-1s' (e.g. 500ms, 1s, 6h)");
}

TEST_CASE("iot::cli::duration_option_as truncates to the caller's unit") {
  using iot::cli::duration_option_as;
  CHECK(duration_option_as<std::chrono::milliseconds>("1750us", "--latency") == 1ms);
  CHECK(duration_option_as<std::chrono::seconds>("90s", "--keepalive") == 90s);
  CHECK(duration_option_as<std::chrono::seconds>("1m", "--keepalive") == 60s);
  CHECK_THROWS_AS(duration_option_as<std::chrono::seconds>("soon", "--keepalive"), iot::Error);
}

TEST_CASE("iot::cli::parse_size") {
  using iot::cli::parse_size;
  CHECK(parse_size("4096") == 4096);
  CHECK(parse_size("64K") == 65536);
  CHECK(parse_size("64k") == 65536);
  CHECK(parse_size("2kB") == 2048);
  CHECK(parse_size("16MiB") == 16u << 20);
  CHECK(parse_size("1G") == 1ull << 30);
  CHECK(parse_size("0") == 0);
  CHECK(usage_message([] { parse_size("12X"); }) == "bad size '12X' (use e.g. 4096, 64K, 16M, 1G)");
  CHECK(usage_message([] { parse_size("K"); }) == "bad size 'K' (use e.g. 4096, 64K, 16M, 1G)");
  CHECK(usage_message([] { parse_size(""); }) == "bad size '' (use e.g. 4096, 64K, 16M, 1G)");
}

TEST_CASE("iot::cli::check_qos") {
  for (int q = 0; q <= 2; ++q)
    CHECK_NOTHROW(iot::cli::check_qos(q, "--qos"));
  CHECK(usage_message([] { iot::cli::check_qos(3, "--will-qos"); }) == "--will-qos must be 0, 1 or 2");
  CHECK(usage_message([] { iot::cli::check_qos(-1, "--birth-qos"); }) == "--birth-qos must be 0, 1 or 2");
}

TEST_CASE("iot::cli::add_qos") {
  CLI::App app("test");
  int qos = 1;
  CLI::Option* opt = iot::cli::add_qos(&app, "-q,--qos", qos, "QoS");
  CHECK(opt->get_default_str() == "1");
  CHECK(iot::cli::completion_hint(opt).choices == std::vector<std::string>{"0", "1", "2"});
  parse(app, {"-q", "2"});
  CHECK(qos == 2);
  app.clear();
  parse(app, {"--qos", "0"});
  CHECK(qos == 0);
  for (const char* bad : {"3", "-1", "one", "1.0"}) {
    app.clear();
    CHECK_THROWS_AS(parse(app, {"-q", bad}), CLI::ParseError);
  }
}

TEST_CASE("iot::cli value type and word order names are those of the values parsers") {
  // Every name offered in completions parses, and is the parser's own name for its value.
  for (const std::string& name : iot::cli::value_type_names()) {
    const auto t = iot::values::parse_value_type(name);
    REQUIRE(t);
    CHECK(iot::values::value_type_name(*t) == name);
  }
  for (const std::string& name : iot::cli::word_order_names()) {
    const auto o = iot::values::parse_word_order(name);
    REQUIRE(o);
    CHECK(iot::values::word_order_name(*o) == name);
  }
  // And every type the parser knows is offered: compare with the list in its message.
  const std::string message = usage_message([] { iot::values::value_type_from("nope"); });
  const auto open = message.find("(expected ");
  REQUIRE(open != std::string::npos);
  std::set<std::string> expected;
  std::string word;
  for (char c : message.substr(open + 10)) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word += c;
    } else {
      if (!word.empty() && word != "or") expected.insert(word);
      word.clear();
    }
  }
  const auto& names = iot::cli::value_type_names();
  CHECK(std::set<std::string>(names.begin(), names.end()) == expected);
  CHECK(names.size() == expected.size());
}

TEST_CASE("iot::cli::add_value_type and add_word_order accept what the values parsers accept") {
  CLI::App app("test");
  std::string type = "u16", order = "ABCD";
  CLI::Option* t = iot::cli::add_value_type(&app, type, "Value type");
  CLI::Option* o = iot::cli::add_word_order(&app, order, "Word order");
  CHECK(t->get_name() == "--type");
  CHECK(o->get_name() == "--order");
  CHECK(t->get_default_str() == "u16");
  CHECK(o->get_default_str() == "ABCD");
  CHECK(iot::cli::completion_hint(t).choices == iot::cli::value_type_names());
  CHECK(iot::cli::completion_hint(o).choices == iot::cli::word_order_names());
  // Any case and the aliases: the option passes them on, the parser takes them.
  parse(app, {"-t", "F32", "-o", "little"});
  CHECK(iot::values::value_type_from(type) == iot::values::ValueType::f32);
  CHECK(iot::values::word_order_from(order) == iot::values::WordOrder::dcba);
  // A wrong value gets the parser's message, the same in every tool.
  app.clear();
  parse(app, {"--type", "f33", "--order", "XYZW"});
  CHECK(usage_message([&] { iot::values::value_type_from(type); }) ==
        "unknown value type 'f33' (expected u16, i16, u32, i32, u64, i64, f16, f32, f64, bit, string, bcd16 or "
        "bcd32)");
  CHECK(usage_message([&] { iot::values::word_order_from(order); }) ==
        "unknown word order 'XYZW' (expected ABCD, CDAB, BADC or DCBA)");
}
