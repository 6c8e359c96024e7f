#pragma once
// The subcommands of iot-export as plain structs filled by the command line
// (apps/export/main.cpp) and run_* functions doing the work.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"

namespace iot::exporter {

struct CommonInput {
  std::vector<std::string> files; // empty: stdin
  bool no_progress = false;
};

struct RangeOptions {
  std::string from, to; // RFC 3339 or YYYY-MM-DD; empty: open
};

// Where a chart or report reads from: record files (or stdin), or a store with
// a time range and filters.
struct SourceOptions {
  CommonInput input;
  std::string db; // SQLite file or postgresql:// URL; empty: the records of `input`
  RangeOptions range;
  std::vector<std::string> devices, points; // empty: all
  std::string kind;                         // empty: all kinds
};

struct RetentionOptions {
  std::optional<double> keep_days;
  std::optional<std::size_t> max_rows;
};

struct CsvCommand {
  CommonInput input;
  bool tsv = false;
  std::string output = "-";
  std::vector<std::string> fields;
  std::size_t scan = 1000;
  std::string alarms, status;
  bool no_header = false;
  bool crlf = false;
  std::string tz; // --tz: UTC, local or an IANA zone name
};

struct XlsxCommand {
  CommonInput input;
  std::string output;
};

struct IngestCommand {
  CommonInput input;
  std::string db;
  std::size_t batch = 50000;
  double flush_interval = 1;      // seconds between commits (0: by --batch and at the end only)
  double retention_interval = 60; // seconds between retention runs while ingesting
  RetentionOptions retention;
};

struct QueryCommand {
  std::string db;
  RangeOptions range;
  std::string device, point, kind;
  std::string output = "-";
  std::string every; // a duration: aggregate readings into buckets this long
  std::string tz;    // aligns --every buckets to midnight in this zone
};

struct PruneCommand {
  std::string db;
  RangeOptions range;
  RetentionOptions retention;
};

struct ChartCommand {
  SourceOptions source;
  std::string output;
  std::string title;
  int width = 1200, height = 600;
  std::string tz;
};

struct ReportCommand {
  SourceOptions source;
  std::string output;
  std::string title = "Site report";
  std::string site;
  std::string tz;
};

ExitCode run_csv(const CsvCommand& c);
ExitCode run_xlsx(const XlsxCommand& c);
ExitCode run_ingest(const IngestCommand& c, bool postgres);
ExitCode run_query(const QueryCommand& c);
ExitCode run_prune(const PruneCommand& c);
ExitCode run_chart(const ChartCommand& c);
ExitCode run_report(const ReportCommand& c);

// "2026-11-21T08:00:00Z" / "2026-11-21" to epoch ms; usage error naming `option` otherwise.
std::optional<std::int64_t> parse_time_option(const std::string& text, const char* option);

} // namespace iot::exporter
