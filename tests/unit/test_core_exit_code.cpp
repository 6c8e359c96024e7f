#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "iot/core/exit_code.hpp"

TEST_CASE("iot::exit_code_table has unique codes and names, and docs/exit-codes.md lists each") {
  std::size_t n = 0;
  const iot::ExitCodeInfo* table = iot::exit_code_table(n);
  std::ifstream doc(IOT_SOURCE_DIR "/docs/exit-codes.md");
  REQUIRE(doc);
  std::stringstream text;
  text << doc.rdbuf();
  std::set<int> codes;
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < n; ++i) {
    CHECK(codes.insert(iot::to_int(table[i].code)).second);
    CHECK(names.insert(table[i].name).second);
    std::string row = "| " + std::to_string(iot::to_int(table[i].code)) + " | `" + std::string(table[i].name) + "` |";
    INFO(row);
    CHECK(text.str().find(row) != std::string::npos);
  }
}

TEST_CASE("iot::exit_code_for maps each error kind to its status") {
  CHECK(iot::exit_code_for(iot::ErrorKind::config) == iot::ExitCode::config);
  CHECK(iot::exit_code_for(iot::ErrorKind::timeout) == iot::ExitCode::timeout);
  CHECK(iot::exit_code_for(iot::ErrorKind::usage) == iot::ExitCode::usage);
  CHECK(iot::exit_code_for(iot::ErrorKind::data) == iot::ExitCode::bad_input);
}
