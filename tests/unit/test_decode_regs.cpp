// iot-decode regs: register words to typed, scaled `reading` records.
#include <simdjson.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "iot/core/error.hpp"
#include "iot/decode/commands.hpp"

#include "test_lines.hpp"

using namespace iot;
using namespace iot::decode;
using iot_test::CapturedLines;

namespace {

simdjson::dom::element parse(const std::string& line) {
  static simdjson::dom::parser p;
  return p.parse(line).value();
}

std::vector<std::string> regs(RegsCommand cmd) {
  CapturedLines out;
  REQUIRE(run_regs(cmd, out.sink) == ExitCode::ok);
  return out.lines();
}

RegsCommand words(std::vector<std::string> w, values::ValueType type = values::ValueType::u16,
                  values::WordOrder order = values::WordOrder::abcd) {
  RegsCommand cmd;
  cmd.words = std::move(w);
  cmd.format.type = type;
  cmd.format.order = order;
  return cmd;
}

} // namespace

TEST_CASE("iot::decode::run_regs decodes f32 in every word order") {
  const std::pair<std::vector<std::string>, values::WordOrder> cases[] = {
      {{"0x42F6", "0xE979"}, values::WordOrder::abcd},
      {{"0xE979", "0x42F6"}, values::WordOrder::cdab},
      {{"0xF642", "0x79E9"}, values::WordOrder::badc},
      {{"0x79E9", "0xF642"}, values::WordOrder::dcba},
  };
  for (const auto& [w, order] : cases) {
    const auto lines = regs(words(w, values::ValueType::f32, order));
    REQUIRE(lines.size() == 1);
    const auto r = parse(lines[0]);
    CHECK(std::string_view(r["kind"]) == "reading");
    CHECK(std::string_view(r["quality"]) == "ok");
    CHECK(std::string_view(r["addr"]) == "hr:0");
    CHECK(double(r["value"]) == Approx(123.456).epsilon(1e-6));
    CHECK(r["raw"].get_array().size() == 2);
  }
}

TEST_CASE("iot::decode::run_regs: signed, hex, scaled, strings and one reading per value") {
  CHECK(std::int64_t(parse(regs(words({"65535"}, values::ValueType::i16))[0])["value"]) == -1);

  RegsCommand hex = words({"0001", "86A0"}, values::ValueType::u32);
  hex.hex = true;
  CHECK(std::uint64_t(parse(regs(hex)[0])["value"]) == 100000);

  RegsCommand scaled = words({"1234"});
  scaled.scaling.zero = 34;
  scaled.scaling.decimals = 1;
  CHECK(double(parse(regs(scaled)[0])["value"]) == Approx(120));

  CHECK(std::string_view(parse(regs(words({"0x4142", "0x4300"}, values::ValueType::string))[0])["value"]) == "ABC");

  RegsCommand three = words({"1", "2", "3"});
  three.addr = "ir:10";
  const auto lines = regs(three);
  REQUIRE(lines.size() == 3);
  CHECK(std::string_view(parse(lines[2])["point"]) == "ir:12");
  CHECK(std::uint64_t(parse(lines[2])["value"]) == 3);
}

TEST_CASE("iot::decode::run_regs names the word that is wrong") {
  CapturedLines out;
  CHECK_THROWS_WITH(run_regs(words({"0x1"}, values::ValueType::f32), out.sink), "f32 needs 2 words, got 1");
  CHECK_THROWS_WITH(run_regs(words({"1", "70000"}), out.sink), Catch::StartsWith("word 2 '70000'"));
  try {
    run_regs(words({"zz"}), out.sink);
    FAIL("accepted zz");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
  }
  CHECK(out.lines().empty());
}
