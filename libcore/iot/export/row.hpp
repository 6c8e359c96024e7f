#pragma once
// One record of kind reading, alarm, status or write flattened into the typed columns
// every exporter shares (docs/storage.md). Fields the columns do not cover, or
// known fields with an unexpected JSON type, are kept verbatim in `extra` (a JSON
// object text), so a record written back from a row equals the one read.
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "iot/record/json_writer.hpp"
#include "iot/record/record.hpp"

namespace iot::exporter {

enum class ValueTag : std::uint8_t { absent, null, number, boolean, string };

struct Row {
  RecordKind kind = RecordKind::unknown;
  std::int64_t ts_ms = 0;
  // Text columns; empty means absent (the natural keys device/point are never empty).
  std::string_view device, point, port, addr, uom, quality, error, alarm, state, level, type, reason;
  bool has_unit = false;
  std::int64_t unit = 0;
  ValueTag value_tag = ValueTag::absent;
  double value_num = 0;
  bool value_bool = false;
  std::string_view value_text;
  bool has_limit = false;
  double limit = 0;
  // write records (docs/record-format.md): function code, outcome, latency.
  bool has_fc = false;
  std::int64_t fc = 0;
  bool has_ok = false;
  bool ok = false;
  bool has_latency = false;
  double latency_ms = 0;
  std::string_view raw;   // minified JSON array text, or empty
  std::string_view extra; // JSON object text of the other fields, or empty

  void clear() { *this = Row{}; }
};

// A field of a record that a row may hold (docs/record-format.md); other
// fields go to Row::extra.
enum class RowField : std::uint8_t {
  other,
  ts,
  kind,
  device,
  point,
  port,
  addr,
  uom,
  quality,
  error,
  alarm,
  state,
  level,
  type,
  reason,
  unit,
  value,
  limit,
  raw,
  fc,
  ok,
  latency_ms
};
RowField row_field(std::string_view name);
// The member of Row holding the text field `f` (nullptr: `f` is no text field).
std::string_view Row::*text_member(RowField f);

// Converts a parsed record into `row`. The views point into the parsed document
// and into `buffer` (both must outlive the row's use). Returns an empty string on
// success, otherwise why the record cannot be stored (missing ts, device ...).
std::string to_row(simdjson::dom::object obj, Row& row, std::string& buffer);

// Appends `row` as a record line without newline (ts, kind, the columns in the
// order of docs/record-format.md, then the extra fields).
void write_row(std::string& out, const Row& row);

// Exact ms <-> TimePoint helpers.
inline TimePoint from_ms(std::int64_t ms) { return from_epoch_us(ms * 1000); }

// Appends `e` as minified JSON (no allocation for scalars and arrays of scalars).
void append_json(std::string& out, simdjson::dom::element e);

// Appends the shortest text that reads back as `v` ("12", "12.5", "1e+300").
void append_number(std::string& out, double v);

} // namespace iot::exporter
