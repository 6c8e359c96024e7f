// libFuzzer target: record lines through RecordParser and the exporter's
// record-to-row conversion. Property checked: a row written back as a record
// reads back to the same row (write_row is a fixed point after one round).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "iot/core/error.hpp"
#include "iot/export/csv.hpp"
#include "iot/export/row.hpp"
#include "iot/record/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static iot::RecordParser parser;
  static iot::RecordParser parser2;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t line_number = 0;
  while (!input.empty()) {
    std::size_t nl = input.find('\n');
    std::string_view line = input.substr(0, nl);
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    ++line_number;
    simdjson::dom::object obj;
    try {
      obj = parser.parse_copy(line, line_number);
    } catch (const iot::Error&) {
      continue;
    }
    iot::exporter::Row row;
    std::string buffer;
    if (!iot::exporter::to_row(obj, row, buffer).empty()) continue;
    std::string first;
    iot::exporter::write_row(first, row);
    std::string cells;
    iot::exporter::append_cell(cells, first, ',');
    iot::exporter::append_cell(cells, first, '\t');

    simdjson::dom::object again;
    try {
      again = parser2.parse_copy(first, 1);
    } catch (const iot::Error&) {
      std::fprintf(stderr, "not JSON: %s\n", first.c_str());
      std::abort(); // we wrote something that is not JSON
    }
    iot::exporter::Row row2;
    std::string buffer2;
    if (!iot::exporter::to_row(again, row2, buffer2).empty()) std::abort();
    std::string second;
    iot::exporter::write_row(second, row2);
    if (first != second) {
      std::fprintf(stderr, "first:  %s\nsecond: %s\n", first.c_str(), second.c_str());
      std::abort();
    }
  }
  return 0;
}
