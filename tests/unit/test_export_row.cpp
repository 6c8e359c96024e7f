#include <catch2/catch.hpp>
#include <string>

#include "iot/export/row.hpp"
#include "iot/record/record.hpp"

using namespace iot;
using namespace iot::exporter;

namespace {
// Parses `line`, converts it to a row and writes it back.
std::string round_trip(const std::string& line, std::string* why = nullptr) {
  RecordParser parser;
  auto obj = parser.parse_copy(line, 1);
  Row row;
  std::string buffer;
  std::string error = to_row(obj, row, buffer);
  if (why) *why = error;
  if (!error.empty()) return {};
  std::string out;
  write_row(out, row);
  return out;
}
} // namespace

TEST_CASE("iot::exporter::to_row keeps a reading exactly") {
  std::string line =
      R"({"ts":"2026-11-21T08:00:01.123Z","kind":"reading","port":"bus1","unit":1,"device":"ctrl1","point":"ch1",)"
      R"("addr":"hr:0","value":12.5,"raw":[125],"uom":"%LEL","quality":"ok"})";
  CHECK(round_trip(line) == line);
}

TEST_CASE("iot::exporter::to_row types values: bool, string, null, integers") {
  std::string b = R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p","value":true})";
  CHECK(round_trip(b) == b);
  std::string s = R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p","value":"on \"x\""})";
  CHECK(round_trip(s) == s);
  std::string n = R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p","value":null,)"
                  R"("quality":"timeout","error":"no answer"})";
  CHECK(round_trip(n) == n);
  std::string big = R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p","value":-7})";
  CHECK(round_trip(big) == big);
  std::string small = R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p","value":1e-300})";
  CHECK(round_trip(small) == small);
}

TEST_CASE("iot::exporter::to_row keeps unknown and mistyped fields in extra") {
  RecordParser parser;
  auto obj = parser.parse_copy(R"({"ts":"2026-11-21T08:00:00Z","kind":"reading","device":"d","point":"p",)"
                               R"("value":18446744073709551615,"unit":"x","src":{"a":[1,"b"]}})",
                               1);
  Row row;
  std::string buffer;
  REQUIRE(to_row(obj, row, buffer).empty());
  CHECK(row.value_tag == ValueTag::absent); // too large for a double: kept exactly in extra
  CHECK_FALSE(row.has_unit);
  CHECK(row.extra == R"({"value":18446744073709551615,"unit":"x","src":{"a":[1,"b"]}})");
}

TEST_CASE("iot::exporter::to_row keeps raw and extra apart whatever their order") {
  // Found by fuzz_record: an unknown field before "raw" once got raw's text spliced into it.
  std::string in = R"({"ts":"2026-11-21T00:00:00.013Z","kind":"reading","device":"d","point":"p","x":1,)"
                   R"("value":10.6,"raw":[106],"y":[2],"quality":"ok"})";
  CHECK(round_trip(in) == R"({"ts":"2026-11-21T00:00:00.013Z","kind":"reading","device":"d","point":"p","value":10.6,)"
                          R"("raw":[106],"quality":"ok","x":1,"y":[2]})");
}

TEST_CASE("iot::exporter::to_row keeps alarm and status records") {
  std::string a = R"({"ts":"2026-11-21T08:00:00.500Z","kind":"alarm","device":"ctrl1","point":"ch1",)"
                  R"("state":"raised","level":"HH","type":"HH","value":55.5,"limit":50,"uom":"%LEL"})";
  CHECK(round_trip(a) == a);
  std::string cleared = R"({"ts":"2026-11-21T08:00:00.500Z","kind":"alarm","device":"ctrl1","point":"ch1",)"
                        R"("state":"cleared","type":"HH","value":1,"limit":50,"level":null})";
  CHECK(round_trip(cleared) == cleared);
  std::string s = R"({"ts":"2026-11-21T08:00:05.000Z","kind":"status","port":"bus1","unit":3,"device":"ctrl3",)"
                  R"("state":"offline","reason":"3 requests without answer"})";
  CHECK(round_trip(s) == s);
}

TEST_CASE("iot::exporter::to_row rejects records it cannot store") {
  std::string why;
  round_trip(R"({"kind":"reading","device":"d","point":"p","value":1})", &why);
  CHECK(why == "no \"ts\"");
  round_trip(R"({"ts":"yesterday","kind":"reading","device":"d","point":"p"})", &why);
  CHECK(why.starts_with("bad \"ts\""));
  round_trip(R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","point":"p"})", &why);
  CHECK(why == "no \"device\"");
  round_trip(R"({"ts":"2026-11-21T08:00:00.000Z","kind":"status","device":"d"})", &why);
  CHECK(why == "no \"state\"");
  round_trip(R"({"ts":"2026-11-21T08:00:00.0001Z","kind":"reading","device":"d","point":"p"})", &why);
  CHECK(why == "\"ts\" has sub-millisecond digits");
  round_trip(R"({"ts":"2026-11-21T08:00:00.000Z","kind":"frame"})", &why);
  CHECK(why == "kind \"frame\" cannot be stored");
}

TEST_CASE("iot::exporter::append_number writes the shortest exact form") {
  std::string s;
  append_number(s, 12.0);
  s += ' ';
  append_number(s, 0.1);
  s += ' ';
  append_number(s, -2.5e-7);
  CHECK(s == "12 0.1 -2.5e-07");
}
