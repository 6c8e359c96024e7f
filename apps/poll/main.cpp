// iot-poll: reads Modbus devices and writes one JSON line per value.
// Only option wiring lives here; the commands are in libcore/iot/poll/.
#include "iot/cli/cli.hpp"
#include "iot/cli/options.hpp"
#include "iot/poll/commands.hpp"

namespace {

void add_trace(CLI::App* cmd, iot::poll::OutputOptions& out) {
  cmd->add_option("--trace", out.trace,
                  "A frame record for every request and answer: to stdout among the records, or to FILE "
                  "(--trace=FILE); -v prints TX/RX hex lines on stderr")
      ->expected(0, 1)
      ->type_name("[FILE]");
}

void add_output(iot::cli::Tool& tool, CLI::App* cmd, iot::poll::OutputOptions& out) {
  iot::cli::choices(
      cmd->add_option("--format", out.format, "Output: jsonl, csv or table (default: table on a terminal, else jsonl)")
          ->capture_default_str(),
      {"auto", "jsonl", "csv", "table"});
  add_trace(cmd, out);
  (void)tool;
}

// A command that writes records: its output is coloured as the common --color option says.
template <typename Options>
CLI::App* add_output_command(iot::cli::Tool& tool, CLI::App& app, const std::string& name,
                             const std::string& description, Options& options, iot::ExitCode (*run)(const Options&)) {
  return iot::cli::add_command(tool, app, name, description, [&tool, &options, run] {
    options.out.color = tool.common().color;
    return run(options);
  });
}

// --timeout and --retries, alike for read and write (info retries after timeouts only).
template <typename Options> void add_timeout_retries(CLI::App* cmd, Options& options) {
  cmd->add_option("--timeout", options.timeout, "Response timeout")->capture_default_str();
  cmd->add_option("--retries", options.retries, "Further attempts after a failed request")->capture_default_str();
}

} // namespace

int main(int argc, char** argv) {
  iot::cli::Tool tool("iot-poll",
                      "Poll Modbus devices (TCP, UDP, RTU, ASCII, RTU over TCP) and write JSON Lines records");
  CLI::App& app = tool.app();
  app.require_subcommand(1);

  iot::poll::ReadOptions read;
  CLI::App* r =
      add_output_command(tool, app, "read", "Read registers or bits of one or more units", read, iot::poll::run_read);
  r->add_option("target", read.target,
                "tcp://host:502, udp://host, rtu+tcp://host:4001, rtu:/dev/ttyUSB0?baud=9600&parity=E, ascii:/dev/...")
      ->required();
  r->add_option("refs", read.refs, "What to read: hr:0:10 (10 values), ir:5, coil:0:16, di:3, 40001, 300011")
      ->required();
  r->add_option("-u,--unit", read.units, "Unit ids: 1, 1,3,5-9")->capture_default_str();
  iot::cli::add_value_type(r, read.type, "Value type: u16 i16 u32 i32 u64 i64 f16 f32 f64 bcd16 bcd32 string bit");
  iot::cli::add_word_order(r, read.order, "Word/byte order of multi-register values: ABCD CDAB BADC DCBA");
  r->add_option("--length", read.length, "String length in bytes (--type string)");
  r->add_option("--scale", read.scale, "Multiply the raw value by this")->capture_default_str();
  r->add_option("--offset", read.offset, "Add this after scaling")->capture_default_str();
  r->add_option("--zero", read.zero, "Raw value that means zero (subtracted first)")->capture_default_str();
  r->add_option("--decimals", read.decimals, "Divide by 10^N and round to N digits");
  r->add_option("--uom", read.uom, "Unit of measure written with each reading");
  r->add_flag("-1,--once", read.once, "Read once (the default without --interval, --count or --duration)");
  r->add_option("-i,--interval", read.interval, "Read every DURATION (e.g. 1s, 250ms) until stopped");
  r->add_option("-n,--count", read.count, "Stop after N cycles");
  r->add_option("-d,--duration", read.duration, "Stop after DURATION");
  add_timeout_retries(r, read);
  r->add_option("--max-read", read.max_read, "Registers per request (devices that refuse long reads)")
      ->capture_default_str();
  r->add_option("--hole", read.hole, "Unused registers a merged read may span")->capture_default_str();
  r->add_flag("--no-stats", read.no_stats, "No stats record at the end");
  add_output(tool, r, read.out);

  iot::poll::WriteOptions write;
  CLI::App* w = add_output_command(tool, app, "write", "Write registers or coils and print the device's answer", write,
                                   iot::poll::run_write);
  w->add_option("target", write.target, "Target URL, as for read")->required();
  w->add_option("assignments", write.assignments,
                "hr:10=123 (FC06), hr:10=1,2,3 (FC16), coil:5=1 (FC05), coil:0=1,0,1 (FC15)")
      ->required();
  w->add_option("-u,--unit", write.unit, "Unit id")->capture_default_str();
  iot::cli::add_value_type(w, write.type, "Value type of the values (f32 writes two registers)");
  iot::cli::add_word_order(w, write.order, "Word/byte order: ABCD CDAB BADC DCBA");
  w->add_flag("-m,--multi", write.multi, "Use FC16/FC15 even for a single register or coil");
  add_timeout_retries(w, write);
  add_output(tool, w, write.out);

  iot::poll::ScanOptions scan;
  CLI::App* s = add_output_command(tool, app, "scan", "Find which unit ids answer, at which line settings", scan,
                                   iot::poll::run_scan);
  s->add_option("target", scan.target, "Target URL, as for read")->required();
  s->add_option("--units", scan.units, "Unit ids to try")->capture_default_str();
  s->add_option("--baud", scan.bauds, "Serial: baud rates to try, e.g. 9600,19200,38400");
  s->add_option("--parity", scan.parities, "Serial: parities to try, e.g. E,N,O");
  s->add_option("--addr", scan.addr, "Address read to probe each unit")->capture_default_str();
  s->add_option("--timeout", scan.timeout, "Response timeout per probe")->capture_default_str();
  s->add_flag("--first", scan.first, "Stop after the first line setting where any unit answers");
  add_output(tool, s, scan.out);

  iot::poll::SiteOptions site;
  CLI::App* run = add_output_command(tool, app, "run", "Poll every enabled point of a site file, one worker per port",
                                     site, iot::poll::run_site);
  iot::cli::path(run->add_option("-c,--config", site.site, "Site file (TOML, see iot-site(5))")->required());
  run->add_flag("--allow-write", site.allow_write, "Accept write commands on stdin");
  run->add_option("--on-alarm", site.on_alarm, "Run CMD (sh -c) with alarm records on its stdin");
  run->add_option("--alarm-window", site.alarm_window, "Batch alarms for --on-alarm per DURATION (0: at once)")
      ->capture_default_str();
  run->add_option("--alarm-timeout", site.alarm_timeout, "Kill an --on-alarm command still running after DURATION")
      ->capture_default_str();
  run->add_option("-d,--duration", site.duration, "Stop after DURATION");
  run->add_option("-n,--count", site.count, "Stop after N cycles of every port");
  run->add_flag("--no-stats", site.no_stats, "No stats records at the end");
  run->add_flag("--exit-on-eof", site.exit_on_eof,
                "Stop at the end of stdin (by default only a signal, --count or --duration stop a run)");
  add_output(tool, run, site.out);

  iot::poll::InfoOptions info;
  CLI::App* inf =
      iot::cli::add_command(tool, app, "info", "Read a device's identification (FC 2B/0E) and server id (FC 11)",
                            [&] { return iot::poll::run_info(info); });
  inf->add_option("target", info.target, "Target URL, as for read")->required();
  inf->add_option("-u,--unit", info.units, "Unit ids: 1, 1,3,5-9 (a device_info record each)")->capture_default_str();
  inf->add_option("--timeout", info.timeout, "Response timeout")->capture_default_str();
  inf->add_option("--retries", info.retries, "Further attempts after a timeout")->capture_default_str();
  add_trace(inf, info.out);

  std::string plan_site;
  CLI::App* plan = iot::cli::add_command(tool, app, "plan", "Print the read plan of a site file",
                                         [&] { return iot::poll::run_plan(plan_site); });
  iot::cli::path(plan->add_option("-c,--config", plan_site, "Site file")->required());

  return tool.run(argc, argv);
}
