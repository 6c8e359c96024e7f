#pragma once
// The input side of every exporter: records from files ("-" is stdin, ".gz" is
// gunzipped), parsed one line at a time with a bounded buffer. Bad lines are
// reported as "FILE:LINE: reason", skipped and counted; the exit status then
// becomes bad_input. Kinds the exporters do not store (frame, mqtt, stats ...)
// are skipped quietly; kinds nobody knows are reported like bad lines.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"
#include "iot/export/progress.hpp"
#include "iot/record/record.hpp"

namespace iot::exporter {

struct Record {
  simdjson::dom::object obj;
  RecordKind kind;
  std::string_view line; // the text of the line, padded for simdjson
};

class RecordInput {
public:
  // `paths` empty means stdin. With `progress`, a bar is drawn on a terminal.
  explicit RecordInput(std::vector<std::string> paths, bool progress = true);

  // Calls `fn` for every reading, alarm and status record, in input order.
  // `fn` may call reject() to count the record as bad.
  void for_each(const std::function<void(const Record&)>& fn);

  // With `on`, `write` records (operation records) are passed to for_each too,
  // for the report's operations section.
  void also_writes(bool on) { m_writes = on; }

  // Reports the current line as bad: "FILE:LINE: reason" (first 100 only).
  void reject(std::string_view reason);

  // The file and line of the record being handled.
  const std::string& name() const { return m_name; }
  std::size_t line() const { return m_line; }
  std::size_t lines() const { return m_lines; }
  std::size_t records() const { return m_records; }
  std::size_t bad() const { return m_bad; }
  std::size_t skipped() const { return m_skipped; }
  ExitCode exit_code() const { return m_bad > 0 ? ExitCode::bad_input : ExitCode::ok; }

private:
  std::vector<std::string> m_paths;
  bool m_progress;
  bool m_writes = false;
  RecordParser m_parser;
  std::string m_name;
  std::size_t m_line = 0;
  std::size_t m_lines = 0, m_records = 0, m_bad = 0, m_skipped = 0;
};

} // namespace iot::exporter
