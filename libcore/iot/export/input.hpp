#pragma once
// The input side of every exporter: records from files ("-" is stdin, ".gz" is
// gunzipped), parsed one line at a time with a bounded buffer. Bad lines are
// reported as "FILE:LINE: reason", skipped and counted; the exit status then
// becomes bad_input. An `mqtt` envelope whose payload is a record (an object
// with a "kind") stands for that record (docs/record-format.md), so the output
// of `iot-mqtt-bridge sub` can be exported directly. Records of kinds the
// exporter does not take (frame, stats ...) are skipped but never silently:
// the first of each kind is reported with its FILE:LINE and all are counted.
#include <simdjson.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"
#include "iot/export/progress.hpp"
#include "iot/record/record.hpp"

namespace iot::exporter {

struct Record {
  simdjson::dom::object obj;
  RecordKind kind;
  std::string_view line; // the record's text (the payload's, for an unwrapped mqtt envelope)
};

class RecordInput {
public:
  // `paths` empty means stdin. With `progress`, a bar is drawn on a terminal.
  // Reading, alarm and status records are taken; accept() adds kinds.
  explicit RecordInput(std::vector<std::string> paths, bool progress = true);

  // Also hand records of `kind` to for_each's function.
  void accept(RecordKind kind);

  // Calls `tick` about every `period` while for_each runs, also while it waits
  // for input on a pipe that stays open (live ingest commits on it).
  void set_tick(std::chrono::milliseconds period, std::function<void()> tick);

  // Calls `fn` for every record of an accepted kind, in input order.
  // `fn` may call reject() to count the record as bad.
  void for_each(const std::function<void(const Record&)>& fn);

  // Reports the current line as bad: "FILE:LINE: reason" (first 100 only).
  void reject(std::string_view reason);

  // The file and line of the record being handled.
  const std::string& name() const { return m_name; }
  std::size_t line() const { return m_line; }
  std::size_t lines() const { return m_lines; }
  std::size_t records() const { return m_records; }
  std::size_t bad() const { return m_bad; }
  // Records of kinds not taken, in all and per kind name.
  std::size_t skipped() const { return m_skipped; }
  const std::map<std::string, std::size_t, std::less<>>& skipped_kinds() const { return m_skipped_kinds; }
  ExitCode exit_code() const { return m_bad > 0 ? ExitCode::bad_input : ExitCode::ok; }

private:
  bool accepted(RecordKind kind) const { return (m_accepted >> static_cast<unsigned>(kind)) & 1u; }
  void skip(std::string_view kind_name, std::string_view why);
  std::size_t read_fd(int fd, char* buf, std::size_t size);
  void maybe_tick();

  std::vector<std::string> m_paths;
  bool m_progress;
  std::uint32_t m_accepted;
  RecordParser m_parser;
  std::string m_unwrapped; // the payload text of the current mqtt envelope
  std::string m_name;
  std::size_t m_line = 0;
  std::size_t m_lines = 0, m_records = 0, m_bad = 0, m_skipped = 0;
  std::map<std::string, std::size_t, std::less<>> m_skipped_kinds;
  std::chrono::milliseconds m_tick_period{0};
  std::function<void()> m_tick;
  std::chrono::steady_clock::time_point m_next_tick;
};

} // namespace iot::exporter
