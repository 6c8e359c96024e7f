#include "iot/export/commands.hpp"

#include "iot/cli/log.hpp"
#include "iot/core/error.hpp"
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
  auto store = open_store(c.db, 50000, OpenMode::read_only);
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
    log::info("deleted {} readings, {} alarms, {} status records, {} writes", n.readings, n.alarms, n.status,
              n.writes);
  }
  apply_retention(*store, retention_of(c.retention));
  return ExitCode::ok;
}

ExitCode run_chart(const ChartCommand& c) {
  ChartOptions o;
  o.output = c.output;
  o.devices = c.devices;
  o.points = c.points;
  o.title = c.title;
  o.width = c.width;
  o.height = c.height;
  RecordInput input(c.input.files, !c.input.no_progress);
  return export_chart(input, o);
}

ExitCode run_report(const ReportCommand& c) {
  RecordInput input(c.input.files, !c.input.no_progress);
  return export_report(input, c.output, c.title);
}

} // namespace iot::exporter
