#include <simdjson.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

#include "iot/record/fields.hpp"
#include "iot/record/record.hpp"

namespace {

using Names = std::set<std::string, std::less<>>;

// Every property name under `schema`: its "properties", and theirs, through "items" and
// "additionalProperties" (the members of `endpoints`, `settings`, `exception` …).
void collect(simdjson::dom::element schema, Names& out) {
  simdjson::dom::object obj;
  if (schema.get_object().get(obj)) return;
  simdjson::dom::object props;
  if (!obj["properties"].get_object().get(props)) {
    for (auto member : props) {
      out.emplace(member.key);
      collect(member.value, out);
    }
  }
  simdjson::dom::element sub;
  if (!obj["items"].get(sub)) collect(sub, out);
  if (!obj["additionalProperties"].get(sub)) collect(sub, out);
}

// The schema's names by kind: "" for the top level (every record), then one set per kind
// of the allOf branches "if kind is K then …" (a kind may have several branches).
std::map<std::string, Names, std::less<>> schema_names(simdjson::dom::parser& parser) {
  simdjson::dom::object top;
  REQUIRE_FALSE(parser.load(IOT_SOURCE_DIR "/docs/record.schema.json").get_object().get(top));
  std::map<std::string, Names, std::less<>> out;
  simdjson::dom::object props;
  REQUIRE_FALSE(top["properties"].get_object().get(props));
  for (auto member : props) {
    out[""].emplace(member.key);
    collect(member.value, out[""]);
  }
  simdjson::dom::array branches;
  REQUIRE_FALSE(top["allOf"].get_array().get(branches));
  for (simdjson::dom::element branch : branches) {
    std::string_view kind;
    REQUIRE_FALSE(branch.at_pointer("/if/properties/kind/const").get_string().get(kind));
    out[std::string(kind)]; // a branch without properties still names its kind
    simdjson::dom::element then;
    if (!branch["then"].get(then)) collect(then, out[std::string(kind)]);
  }
  return out;
}

} // namespace

TEST_CASE("record field names: every schema property has a constant, every constant is in the schema") {
  simdjson::dom::parser parser;
  const auto schema = schema_names(parser);
  Names kinds_in_code;
  for (std::string_view kind : iot::record_kinds_with_fields()) {
    kinds_in_code.emplace(kind);
    INFO("kind \"" << kind << "\"");
    const auto it = schema.find(kind);
    REQUIRE(it != schema.end()); // the schema has a branch for the kind
    Names in_code;
    for (std::string_view name : iot::record_fields(kind))
      in_code.emplace(name);
    CHECK(in_code.size() == iot::record_fields(kind).size()); // no name listed twice
    for (const auto& name : it->second) {
      INFO("schema property \"" << name << "\"");
      CHECK(in_code.count(name) == 1);
    }
    for (const auto& name : in_code) {
      INFO("constant \"" << name << "\"");
      CHECK(it->second.count(name) == 1);
    }
  }
  for (const auto& [kind, names] : schema) {
    INFO("schema kind \"" << kind << "\"");
    CHECK(kinds_in_code.count(kind) == 1);
  }
}

TEST_CASE("record field names: names are plain, and port is a record kind") {
  for (std::string_view kind : iot::record_kinds_with_fields())
    for (std::string_view name : iot::record_fields(kind)) {
      INFO(name);
      CHECK(!name.empty());
      CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos);
    }
  CHECK(iot::record_fields("no such kind").empty());
  // RecordKind names the kinds that have a RecordKind, port among them (iot-decode sniff --list).
  CHECK(iot::record_kind_from("port") == iot::RecordKind::port);
  CHECK(iot::record_kind_name(iot::RecordKind::port) == "port");
  CHECK(iot::record_kind_from("no such kind") == iot::RecordKind::unknown);
}
