// iot-export: records (JSON Lines) to CSV/TSV, xlsx, SQLite, PostgreSQL, charts
// and PDF reports; stored records back as JSON Lines. Only option wiring here:
// the work is done in libcore/iot/export/.
#include "iot/cli/cli.hpp"
#include "iot/export/commands.hpp"

using namespace iot;
using namespace iot::exporter;

namespace {

void add_inputs(CLI::App* cmd, CommonInput& in) {
  cli::path(cmd->add_option("files", in.files, "Record files (.jsonl, .jsonl.gz); none or - for stdin"));
  cmd->add_flag("--no-progress", in.no_progress, "Never draw a progress bar (it is drawn only on a terminal)");
}

void add_range(CLI::App* cmd, RangeOptions& r) {
  cmd->add_option("--from", r.from, "Only records at or after this time (RFC 3339 or YYYY-MM-DD)");
  cmd->add_option("--to", r.to, "Only records before this time");
}

// Records from files or stdin, or from a store over a time range.
void add_source(CLI::App* cmd, SourceOptions& s) {
  add_inputs(cmd, s.input);
  cli::path(cmd->add_option("--db", s.db, "Read from this SQLite file or postgresql:// URL instead of records"));
  cmd->add_option("--from", s.range.from,
                  "The period starts here (RFC 3339 or YYYY-MM-DD); alarms active then are included");
  cmd->add_option("--to", s.range.to, "The period ends here (exclusive)");
  cmd->add_option("--device", s.devices, "Only this device (repeatable)")->allow_extra_args(false);
  cmd->add_option("--point", s.points, "Only this point (repeatable)")->allow_extra_args(false);
  cli::choices(cmd->add_option("--kind", s.kind, "Only records of this kind"), {"reading", "alarm", "status", "write"});
}

void add_tz(CLI::App* cmd, std::string& tz, const char* what) { cmd->add_option("--tz", tz, what); }

void add_retention(CLI::App* cmd, RetentionOptions& r) {
  cmd->add_option("--keep", r.keep_days, "Delete rows older than DAYS days (fractions allowed)");
  cmd->add_option("--max-rows", r.max_rows, "Keep only the newest N rows of each table");
}

} // namespace

int main(int argc, char** argv) {
  cli::Tool tool("iot-export",
                 "Export records to CSV, TSV, xlsx, SQLite or PostgreSQL, query them back, draw charts and reports");
  CLI::App& app = tool.app();
  app.require_subcommand(1);

  static CsvCommand csv, tsv;
  tsv.tsv = true;
  for (auto* c : {&csv, &tsv}) {
    bool is_tsv = c->tsv;
    auto* cmd = cli::add_command(tool, app, is_tsv ? "tsv" : "csv",
                                 is_tsv ? "Records to tab-separated values" : "Records to CSV (RFC 4180)",
                                 [c] { return run_csv(*c); });
    add_inputs(cmd, c->input);
    cli::path(cmd->add_option("-o,--output", c->output, "Output file (default: stdout)"));
    cmd->add_option("--fields", c->fields, "Columns, comma-separated (default: the fields present)")
        ->delimiter(',')
        ->allow_extra_args(false);
    cmd->add_option("--scan", c->scan, "Records looked at to choose the columns when --fields is not given (0: all)")
        ->capture_default_str();
    cli::path(cmd->add_option("--alarms", c->alarms, "Write alarm records to this file instead"));
    cli::path(cmd->add_option("--status", c->status, "Write status records to this file instead"));
    cmd->add_flag("--no-header", c->no_header, "Leave out the header line");
    cmd->add_flag("--crlf", c->crlf, "End lines with CR LF");
    add_tz(cmd, c->tz, "Write ts in this time zone with its offset: an IANA name (Asia/Shanghai), local or UTC");
  }

  static XlsxCommand xlsx;
  {
    auto* cmd = cli::add_command(tool, app, "xlsx", "Records to an Excel workbook: a sheet per kind",
                                 [] { return run_xlsx(xlsx); });
    add_inputs(cmd, xlsx.input);
    cli::path(cmd->add_option("-o,--output", xlsx.output, "Workbook file (.xlsx), - for stdout")->required());
  }

  static IngestCommand sqlite, postgres;
  for (auto* c : {&sqlite, &postgres}) {
    bool pg = c == &postgres;
    auto* cmd = cli::add_command(tool, app, pg ? "postgres" : "sqlite",
                                 pg ? "Store records in PostgreSQL (COPY, idempotent)"
                                    : "Store records in a SQLite file (WAL, idempotent)",
                                 [c, pg] { return run_ingest(*c, pg); });
    add_inputs(cmd, c->input);
    auto* db = cmd->add_option("--db", c->db, pg ? "Database URL: postgresql://user@host:port/db" : "Database file")
                   ->required();
    if (!pg) cli::path(db);
    cmd->add_option("--batch", c->batch, "Commit at least every N rows")->capture_default_str();
    cmd->add_option("--flush-interval", c->flush_interval,
                    "Commit at least every SECONDS, also while the input is idle (0: by --batch only)")
        ->capture_default_str();
    cmd->add_option("--retention-interval", c->retention_interval,
                    "Apply --keep/--max-rows every SECONDS while ingesting, and at the end")
        ->capture_default_str();
    add_retention(cmd, c->retention);
  }

  static QueryCommand query;
  {
    auto* cmd =
        cli::add_command(tool, app, "query", "Stored records back as JSON Lines", [] { return run_query(query); });
    cli::path(cmd->add_option("--db", query.db, "SQLite file or postgresql:// URL")->required());
    add_range(cmd, query.range);
    cmd->add_option("--device", query.device, "Only this device");
    cmd->add_option("--point", query.point, "Only this point (leaves out status records)");
    cli::choices(cmd->add_option("--kind", query.kind, "Only this kind"), {"reading", "alarm", "status", "write"});
    cli::path(cmd->add_option("-o,--output", query.output, "Output file (default: stdout)"));
    cmd->add_option("--every", query.every,
                    "Aggregate readings per point into buckets this long (15m, 1h, 1d): count, min, max, mean, last");
    add_tz(cmd, query.tz, "Align --every buckets to midnight in this time zone (IANA name, local or UTC)");
  }

  static PruneCommand prune;
  {
    auto* cmd = cli::add_command(tool, app, "prune", "Delete stored records in a time range, or by retention",
                                 [] { return run_prune(prune); });
    cli::path(cmd->add_option("--db", prune.db, "SQLite file or postgresql:// URL")->required());
    add_range(cmd, prune.range);
    add_retention(cmd, prune.retention);
  }

  static ChartCommand chart;
  {
    auto* cmd =
        cli::add_command(tool, app, "chart", "Time-series chart as SVG, PNG or PDF", [] { return run_chart(chart); });
    add_source(cmd, chart.source);
    cli::path(cmd->add_option("-o,--output", chart.output, "Chart file: .svg, .png or .pdf")->required());
    cmd->add_option("--title", chart.title, "Chart title");
    cmd->add_option("--width", chart.width, "Width in pixels (points for PDF)")->capture_default_str();
    cmd->add_option("--height", chart.height, "Height in pixels (points for PDF)")->capture_default_str();
    add_tz(cmd, chart.tz, "Time labels in this time zone: an IANA name (Asia/Shanghai), local or UTC");
  }

  static ReportCommand report;
  {
    auto* cmd = cli::add_command(tool, app, "report", "Printable PDF report: statistics, alarms, operations, charts",
                                 [] { return run_report(report); });
    add_source(cmd, report.source);
    cli::path(cmd->add_option("-o,--output", report.output, "Report file (.pdf)")->required());
    cmd->add_option("--title", report.title, "Report title")->capture_default_str();
    cmd->add_option("--site", report.site, "Site name (default: the records' \"site\" field, if any)");
    add_tz(cmd, report.tz, "Times in this time zone: an IANA name (Asia/Shanghai), local or UTC");
  }

  return tool.run(argc, argv);
}
