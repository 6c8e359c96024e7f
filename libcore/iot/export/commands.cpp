#include "iot/export/commands.hpp"

#include <algorithm>

#include "iot/cli/options.hpp"
#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/export/aggregate.hpp"
#include "iot/export/chart.hpp"
#include "iot/export/csv.hpp"
#include "iot/export/report.hpp"
#include "iot/export/store.hpp"
#include "iot/export/xlsx.hpp"

namespace iot::exporter {

std::optional<std::int64_t> parse_time_option(const std::string& text, const char* option) {
  if (text.empty()) return std::nullopt;
  auto t = parse_ts(text);
  if (!t) throw usage_error(std::string(option) + ": not a time: " + text + " (use RFC 3339 or YYYY-MM-DD)");
  return epoch_ms(*t);
}

namespace {
Retention retention_of(const RetentionOptions& r) { return Retention{r.keep_days, r.max_rows}; }

TimeRange range_of(const RangeOptions& r) {
  TimeRange range{parse_time_option(r.from, "--from"), parse_time_option(r.to, "--to")};
  if (range.from_ms && range.to_ms && *range.to_ms <= *range.from_ms)
    throw usage_error("--to (" + r.to + ") must be after --from (" + r.from + ")");
  return range;
}

bool wanted(const std::vector<std::string>& filter, std::string_view v) {
  return filter.empty() || std::find(filter.begin(), filter.end(), v) != filter.end();
}

// The records of a chart or report: from the store named by --db (the range
// and filters go into the query) or from the input files (filtered here).
// `status` false leaves status records out.
TimeSeriesSet gather(const SourceOptions& s, bool status, bool operations, ExitCode& code) {
  TimeRange range = range_of(s.range);
  std::optional<RecordKind> kind;
  if (!s.kind.empty()) kind = record_kind_from(s.kind);
  auto keep = [&s, kind, status](const Row& row) {
    if (kind && row.kind != *kind) return false;
    if (!status && row.kind == RecordKind::status) return false;
    // Status records have no point: --point leaves them out, as in query.
    if (!s.points.empty() && row.kind == RecordKind::status) return false;
    return wanted(s.devices, row.device) && wanted(s.points, row.point);
  };
  if (s.db.empty()) {
    RecordInput input(s.input.files, !s.input.no_progress);
    TimeSeriesSet set = read_series(input, keep, range, operations);
    code = input.exit_code();
    return set;
  }
  if (!s.input.files.empty()) throw usage_error("give either record files or --db, not both");
  QueryFilter f;
  f.from_ms = range.from_ms;
  f.to_ms = range.to_ms;
  // One device or point goes into the SQL; several are filtered here.
  if (s.devices.size() == 1) f.device = s.devices[0];
  if (s.points.size() == 1) f.point = s.points[0];
  if (kind && *kind != RecordKind::write) f.kind = kind;
  auto store = open_store(s.db, 50000, OpenMode::read_only);
  code = ExitCode::ok;
  return read_series(*store, f, keep);
}
} // namespace

ExitCode run_csv(const CsvCommand& c) {
  CsvOptions o;
  o.separator = c.tsv ? '\t' : ',';
  o.fields = c.fields;
  o.header = !c.no_header;
  o.crlf = c.crlf;
  o.scan = c.scan; // 0: every record
  o.output = c.output;
  o.alarms_output = c.alarms;
  o.status_output = c.status;
  o.zone = TimeZone::named(c.tz);
  RecordInput input(c.input.files, !c.input.no_progress);
  return export_csv(input, o);
}

ExitCode run_xlsx(const XlsxCommand& c) {
  RecordInput input(c.input.files, !c.input.no_progress);
  return export_xlsx(input, c.output);
}

ExitCode run_ingest(const IngestCommand& c, bool postgres) {
  if (c.batch == 0) throw usage_error("--batch must be at least 1");
  if (postgres && !is_postgres_url(c.db))
    throw usage_error("--db must be a postgresql:// URL (or a libpq string with dbname=)");
  if (!(c.flush_interval >= 0) || c.flush_interval > 86400)
    throw usage_error("--flush-interval must be between 0 and 86400 seconds");
  if (!(c.retention_interval >= 0) || c.retention_interval > 86400 * 365)
    throw usage_error("--retention-interval must be between 0 and 31536000 seconds");
  auto store = postgres ? open_postgres(c.db, c.batch) : open_sqlite(c.db, c.batch);
  RecordInput input(c.input.files, !c.input.no_progress);
  IngestTiming timing;
  timing.flush_interval = std::chrono::milliseconds(static_cast<std::int64_t>(c.flush_interval * 1000));
  timing.retention_interval = std::chrono::milliseconds(static_cast<std::int64_t>(c.retention_interval * 1000));
  return ingest(input, *store, retention_of(c.retention), timing);
}

ExitCode run_query(const QueryCommand& c) {
  QueryFilter f;
  f.from_ms = parse_time_option(c.range.from, "--from");
  f.to_ms = parse_time_option(c.range.to, "--to");
  f.device = c.device;
  f.point = c.point;
  if (!c.kind.empty()) f.kind = record_kind_from(c.kind);
  std::optional<std::int64_t> every_ms;
  if (!c.every.empty()) {
    const auto every = cli::duration_option_as<std::chrono::milliseconds>(c.every, "--every");
    if (every < std::chrono::seconds(1))
      throw usage_error("--every: not a duration of at least 1s: " + c.every + " (use 15m, 1h, 1d ...)");
    every_ms = every.count();
  } else if (!c.tz.empty()) {
    throw usage_error("--tz aligns the buckets of --every; it needs --every");
  }
  TimeZone zone = TimeZone::named(c.tz);
  auto store = open_store(c.db, 50000, OpenMode::read_only);
  if (every_ms)
    query_aggregates(*store, f, *every_ms, zone, c.output);
  else
    query_records(*store, f, c.output);
  return ExitCode::ok;
}

ExitCode run_prune(const PruneCommand& c) {
  auto from = parse_time_option(c.range.from, "--from");
  auto to = parse_time_option(c.range.to, "--to");
  bool range = from || to;
  if (!range && !c.retention.keep_days && !c.retention.max_rows)
    throw usage_error("prune needs --from and/or --to, --keep or --max-rows");
  auto store = open_store(c.db, 50000, OpenMode::existing);
  if (range) {
    auto n = store->prune(from, to);
    log::info("deleted {} readings, {} alarms, {} status records, {} writes", n.readings, n.alarms, n.status, n.writes);
  }
  apply_retention(*store, retention_of(c.retention));
  return ExitCode::ok;
}

ExitCode run_chart(const ChartCommand& c) {
  ChartOptions o;
  o.output = c.output;
  o.devices = c.source.devices;
  o.points = c.source.points;
  o.title = c.title;
  o.width = c.width;
  o.height = c.height;
  o.range = range_of(c.source.range);
  o.zone = TimeZone::named(c.tz);
  check_chart_options(o);
  ExitCode code = ExitCode::ok;
  TimeSeriesSet set = gather(c.source, false, false, code);
  write_chart(set, o);
  return code;
}

ExitCode run_report(const ReportCommand& c) {
  ReportOptions o;
  o.output = c.output;
  o.title = c.title;
  o.site = c.site;
  o.range = range_of(c.source.range);
  o.zone = TimeZone::named(c.tz);
  ExitCode code = ExitCode::ok;
  TimeSeriesSet set = gather(c.source, true, true, code);
  write_report(set, o);
  return code;
}

} // namespace iot::exporter
