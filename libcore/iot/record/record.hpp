#pragma once
// The record format: one JSON object per line, with "ts" and "kind".
// docs/record-format.md and docs/record.schema.json describe it; this module
// owns the names of kinds and fields (fields.hpp) and reads records back
// (typed records: records.hpp).
#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "iot/core/time.hpp"
#include "iot/record/fields.hpp"

namespace iot {

enum class RecordKind { frame, reading, status, alarm, mqtt, stats, ready, ack, write, aggregate, port, unknown };

// "frame", "reading", ...; unknown for anything else.
RecordKind record_kind_from(std::string_view name);
std::string_view record_kind_name(RecordKind kind);

// Quality of a reading (docs/record-format.md).
enum class Quality { ok, timeout, crc, exception, offline, error };
std::string_view quality_name(Quality q);

// Parses record lines with simdjson. One parser per thread; reuse it.
class RecordParser {
public:
  // Parses `line`, which must be followed in memory by 64 readable bytes
  // (LineReader guarantees it). Throws data_error naming `line_number` when
  // the line is not a JSON object. The result lives until the next parse().
  simdjson::dom::object parse(std::string_view line, std::size_t line_number);
  // Same, for text without the padding guarantee (it is copied).
  simdjson::dom::object parse_copy(std::string_view line, std::size_t line_number);

private:
  simdjson::dom::parser m_parser;
  std::string m_copy;
};

// Field access helpers that tolerate absence and type mismatch.
std::optional<std::string_view> get_string(simdjson::dom::object obj, std::string_view key);
std::optional<double> get_number(simdjson::dom::object obj, std::string_view key);
std::optional<std::int64_t> get_int(simdjson::dom::object obj, std::string_view key);
std::optional<bool> get_bool(simdjson::dom::object obj, std::string_view key);
// The record's "ts" parsed, if present and valid.
std::optional<TimePoint> get_ts(simdjson::dom::object obj);
// The record's "kind".
RecordKind get_kind(simdjson::dom::object obj);

} // namespace iot
