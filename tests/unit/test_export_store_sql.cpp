#include <catch2/catch.hpp>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "iot/export/store_sql.hpp"

using namespace iot;
using namespace iot::exporter;

namespace {

// The cells a store would write, as text (std::nullopt: NULL), read back the same way.
struct Cells {
  std::vector<std::optional<std::string>> cells;

  void null() { cells.emplace_back(); }
  void ts(std::int64_t ms) { cells.emplace_back("ts " + std::to_string(ms)); }
  void integer(std::int64_t v) { cells.emplace_back(std::to_string(v)); }
  void real(double v) {
    char buf[32];
    cells.emplace_back(std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr));
  }
  void boolean(bool v) { cells.emplace_back(v ? "t" : "f"); }
  void text(std::string_view v) { cells.emplace_back("'" + std::string(v) + "'"); }
};

struct CellReader {
  const Cells& c;
  const std::string& at(int i) const { return *c.cells.at(static_cast<std::size_t>(i)); }
  bool is_null(int i) const { return !c.cells.at(static_cast<std::size_t>(i)); }
  std::int64_t integer(int i) const {
    std::string_view s = at(i);
    if (s.starts_with("ts ")) s.remove_prefix(3);
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  double real(int i) const {
    double v = 0;
    std::from_chars(at(i).data(), at(i).data() + at(i).size(), v);
    return v;
  }
  bool boolean(int i) const { return at(i) == "t"; }
  std::string_view text(int i) const {
    if (is_null(i)) return {};
    return std::string_view(at(i)).substr(1, at(i).size() - 2);
  }
};

// The cells of `record` as sql::put_row gives them, joined with '|'.
std::string cells_of(const std::string& record, Cells& cells) {
  static simdjson::dom::parser parser;
  static std::string buffer;
  Row row;
  simdjson::dom::object obj = parser.parse(record).get_object().value();
  REQUIRE(to_row(obj, row, buffer).empty());
  sql::put_row(row, cells);
  std::string joined;
  for (const auto& c : cells.cells)
    joined += (joined.empty() ? "" : "|") + c.value_or("NULL");
  return joined;
}

// `record` written as cells and read back, as a record again.
std::string round_trip(const std::string& record) {
  static simdjson::dom::parser parser;
  static std::string buffer;
  Row row;
  REQUIRE(to_row(parser.parse(record).get_object().value(), row, buffer).empty());
  Cells cells;
  sql::put_row(row, cells);
  Row back;
  sql::get_row(sql::table_index(row.kind), CellReader{cells}, back);
  std::string out;
  write_row(out, back);
  return out;
}

} // namespace

TEST_CASE("iot::exporter::sql rows go to their table's columns and come back whole") {
  const std::string records[] = {
      R"({"ts":"2026-11-21T08:00:00.001Z","kind":"reading","port":"bus1","unit":1,"device":"d1","point":"p1","addr":"hr:0","value":1.5,"raw":[15],"uom":"V","quality":"ok","error":"e","alarm":"HH","src":"x"})",
      R"({"ts":"2026-11-21T08:00:00.001Z","kind":"reading","device":"d1","point":"p2","value":true})",
      R"({"ts":"2026-11-21T08:00:00.001Z","kind":"reading","device":"d1","point":"p3","value":"on"})",
      R"({"ts":"2026-11-21T08:00:00.001Z","kind":"reading","device":"d1","point":"p4","value":null})",
      R"({"ts":"2026-11-21T08:00:01.002Z","kind":"alarm","device":"d1","point":"p1","state":"raised","level":"HH","type":"HH","value":55,"limit":50,"uom":"V"})",
      R"({"ts":"2026-11-21T08:00:01.002Z","kind":"alarm","device":"d1","point":"p1","state":"cleared"})",
      R"({"ts":"2026-11-21T08:00:02.003Z","kind":"status","port":"bus1","unit":2,"device":"d2","state":"offline","reason":"no answer"})",
      R"({"ts":"2026-11-21T09:00:01.000Z","kind":"write","port":"bus1","unit":1,"device":"relay1","point":"k1","addr":"coil:0","fc":5,"value":true,"raw":[1],"ok":true,"quality":"ok","latency_ms":2.5})",
      R"({"ts":"2026-11-21T09:00:01.000Z","kind":"write","port":"p","value":"txt","ok":false,"error":"exception 2"})",
      R"({"ts":"2026-11-21T09:00:01.000Z","kind":"write","addr":"x"})",
  };
  for (const std::string& r : records)
    CHECK(round_trip(r) == r);
}

TEST_CASE("iot::exporter::sql a row's cells follow the CREATE TABLE order, an absent key text is empty, other absent "
          "texts NULL") {
  Cells cells;
  CHECK(cells_of(R"({"ts":"1970-01-01T00:00:01.000Z","kind":"status","state":"up","reason":"r"})", cells) ==
        "ts 1000|''|''|'up'|NULL|'r'|NULL");
  // One cell per column the table lists, in that order.
  for (int t = 0; t < sql::k_table_count; ++t) {
    const sql::Table& table = sql::k_tables[t];
    std::string names;
    for (const sql::TableColumn& c : table.columns)
      names += (names.empty() ? "" : ", ") + std::string(c.column->name);
    CHECK(names == table.column_names);
    CHECK(sql::table_index(table.kind) == t);
  }
  Cells writes;
  CHECK(cells_of(R"({"ts":"1970-01-01T00:00:00.002Z","kind":"write","device":"r","fc":6,"value":7,"latency_ms":0.5})",
                 writes) == "ts 2|''|'r'|''|''|NULL|6|7|NULL|NULL|NULL|NULL|NULL|NULL|0.5|NULL");
  CHECK(sql::column_list(0, "T") == "T, device, point, port, unit, addr, value_num, value_bool, value_text, raw, uom, "
                                    "quality, error, alarm, extra");
}
