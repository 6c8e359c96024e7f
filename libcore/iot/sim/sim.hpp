#pragma once
// iot-sim: serves the devices of a site file on the transports its ports name,
// from one thread and one epoll loop (no thread per connection).
//
//  - Modbus TCP and UDP (MBAP), RTU over TCP, RTU and ASCII on a serial line or a
//    pseudo-terminal the simulator creates (rtu:pty, ascii:pty);
//  - each device answers its own unit id; a unit nobody has gets no answer on a
//    serial line and the port's `unknown_unit` exception on a network port;
//  - faults from the site file and from JSON command lines on stdin;
//  - on serial lines the answer leaves at the line's baud rate and framing, after
//    the t3.5 silence (Modbus over Serial Line V1.02 §2.5.1.1).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "iot/config/site.hpp"
#include "iot/core/exit_code.hpp"
#include "iot/record/output.hpp"

namespace iot::sim {

struct Options {
  std::string bind = "127.0.0.1";                    // address TCP/UDP ports listen on
  bool free_ports = false;                           // ignore the port numbers of the site file: pick free ones
  bool pty = false;                                  // serve serial ports on pseudo-terminals instead of their devices
  bool log = false;                                  // one `frame` record per request served
  bool wire_timing = true;                           // pace serial answers at the line's baud rate
  bool commands = true;                              // read command lines on stdin
  std::optional<std::chrono::microseconds> duration; // stop after this long
  std::string site_out;                              // write the site file with the served endpoints here (site mode)
};

// Builds the site of quick mode: one port at `url` with one device per unit id,
// each of `model`, named "unit<N>". `models` (--models) is a catalog directory searched
// first or a catalog file; else the catalog's search order (config::catalog_dirs). Errors
// name the option that caused them (usage errors).
config::Site quick_site(const std::string& url, const std::string& units, const std::string& model,
                        const std::string& models, const std::string& unknown_unit);

// Serves `site` until SIGINT/SIGTERM (or the duration). Records go to `out`.
// Throws iot::Error(io) when an endpoint cannot be opened (nothing is served then).
ExitCode serve(const config::Site& site, const Options& options, LineSink& out);

} // namespace iot::sim
