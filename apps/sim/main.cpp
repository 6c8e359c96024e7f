// iot-sim: Modbus device (and Acrel MQTT meter) simulator. Only option wiring here; the logic is in
// libcore/iot/sim (see sim.hpp).
#include <filesystem>

#include "iot/cli/cli.hpp"
#include "iot/cli/options.hpp"
#include "iot/config/site.hpp"
#include "iot/core/error.hpp"
#include "iot/record/output.hpp"
#include "iot/sim/sim.hpp"

int main(int argc, char** argv) {
  iot::cli::Tool tool("iot-sim",
                      "Simulate Modbus devices: serve the devices of a site file (or quick mode: several units of one "
                      "model) over TCP, RTU over TCP, UDP, RTU/ASCII on a serial line or a pty, with value generators "
                      "and faults changeable at run time by JSON commands on stdin; a site file's mqtt:// ports hold "
                      "simulated Acrel meters publishing to a broker.");
  auto& app = tool.app();
  iot::sim::Options opt;
  opt.bind.clear();
  std::string url, units = "1", model, models, unknown_unit, duration, site_file;
  bool no_wire_timing = false, no_commands = false;

  app.add_option("target", url,
                 "Quick mode: serve at this target: tcp://127.0.0.1:1502, rtu+tcp://..., udp://..., rtu:pty, "
                 "ascii:pty, rtu:/dev/ttyUSB0?baud=9600&parity=E");
  app.add_option("-u,--units", units, "Quick mode: unit ids to serve, e.g. 1-10 or 1,3,5-9")->capture_default_str();
  app.add_option("-m,--model", model, "Quick mode: device model of the catalog, e.g. FC1003-8");
  iot::cli::path(app.add_option("--models", models,
                                "Model catalog directory searched first (instead of $IOT_MODELS); in quick mode "
                                "also a catalog file (TOML [[model]] entries)"));
  app.add_option("--unknown-unit", unknown_unit,
                 "Quick mode: exception code for unit ids nobody has on a network port (e.g. 0x0B), or none");
  app.add_option("--bind", opt.bind,
                 "Address TCP and UDP ports listen on (default: 127.0.0.1; in quick mode the target's host)");
  app.add_flag("--free-ports", opt.free_ports, "Ignore the port numbers of the site file and pick free ones");
  app.add_flag("--pty", opt.pty, "Serve serial ports on pseudo-terminals instead of their devices");
  app.add_flag("-l,--log", opt.log, "Write a frame record for every request served");
  app.add_flag("--no-wire-timing", no_wire_timing,
               "Answer on serial lines at once instead of at the line's baud rate after t3.5");
  app.add_flag("--no-commands", no_commands, "Do not read commands on stdin");
  app.add_option("--duration", duration, "Stop after this long (e.g. 30s)");

  auto finish_options = [&]() {
    opt.wire_timing = !no_wire_timing;
    opt.commands = !no_commands;
    if (!duration.empty()) opt.duration = iot::cli::duration_option(duration, "--duration");
  };

  iot::ExitCode run_result = iot::ExitCode::ok;
  auto* run = iot::cli::add_command(tool, app, "run", "Serve every device of a site file", [&]() {
    finish_options();
    if (opt.bind.empty()) opt.bind = "127.0.0.1";
    iot::config::LoadOptions load;
    if (!models.empty()) {
      if (!std::filesystem::is_directory(models))
        throw iot::usage_error("--models: not a directory: " + models +
                               " (a site file names its own model files in [site].models)");
      load.models_dir = models;
    }
    const auto site = iot::config::load_site(site_file, load);
    iot::LineSink out(1, true);
    run_result = iot::sim::serve(site, opt, out);
    return run_result;
  });
  iot::cli::path(run->add_option("-c,--config", site_file, "Site file (the one iot-poll reads)")->required());
  run->add_option("--site-out", opt.site_out,
                  "Write the site file with the endpoints really served (ports bound to :0 or --free-ports, "
                  "ptys created) to FILE, for iot-poll run -c FILE");

  tool.set_main([&]() {
    if (run->parsed()) return run_result;
    if (url.empty())
      throw iot::usage_error("give a target for quick mode (iot-sim tcp://127.0.0.1:1502 --model M) "
                             "or a site file (iot-sim run -c SITE.toml)");
    finish_options();
    const auto site = iot::sim::quick_site(url, units, model, models, unknown_unit);
    iot::LineSink out(1, true);
    return iot::sim::serve(site, opt, out);
  });
  return tool.run(argc, argv);
}
