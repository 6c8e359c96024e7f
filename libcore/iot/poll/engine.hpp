#pragma once
// The polling engine: one worker thread per port (a bus carries one transaction
// at a time), ports in parallel.
//
// A worker's cycle: queued writes first (the seed's 优先执行命令), then every
// online device's planned reads in turn, then one request to each offline device
// whose reconnect time has come (a re-probe), then a wait for the next cycle. A device
// that leaves `offline_after` requests in a row unanswered is marked offline and
// skipped, so silent devices do not slow the healthy ones; any answer (even an
// exception) brings it back. A lost connection is reopened with a growing
// backoff (100 ms doubling up to the reconnect interval) while other ports go on.
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "iot/core/exit_code.hpp"
#include "iot/poll/output.hpp"
#include "iot/poll/spec.hpp"
#include "iot/poll/stats.hpp"
#include "iot/transport/client.hpp"

namespace iot::poll {

struct WriteCommand {
  std::string device;
  std::string point;
  values::Value value;    // engineering value
  std::string value_json; // as it was given, for the answer record
  std::string cause;      // why, for the answer record ("link:NAME"); empty for stdin commands
};

struct EngineOptions {
  std::optional<std::uint64_t> cycles; // stop after this many cycles per port (--count, --once)
  bool allow_write = false;            // stdin writes (site mode)
  bool fail_on_connect = false;        // ad-hoc: a target that cannot be opened is an error
  bool stats = true;                   // a stats record per port at the end
  bool device_status = true;           // status records for devices going online/offline (site mode)
};

class PortWorker;

using ClientFactory = std::function<std::unique_ptr<transport::Client>(const transport::Target&)>;

class Engine {
public:
  Engine(std::vector<PortSpec> ports, Output& out, EngineOptions options, ClientFactory factory = {});
  ~Engine();

  // Runs every port until the cycles are done or a stop is requested; writes
  // the stats records. Throws OutputClosed when the reader went away, and the
  // first connect error with fail_on_connect.
  void run();

  // Queues a write for the port owning the device; answers with a write record.
  void submit(WriteCommand command);

  // Worst result seen (ok, timeout, protocol, device_exception), for ad-hoc exit statuses.
  ExitCode result() const;

private:
  std::vector<std::unique_ptr<PortWorker>> m_workers;
  Output& m_out;
  EngineOptions m_options;
};

// Parses a stdin command line {"kind":"write","device":..,"point":..,"value":..}.
// nullopt (and `error` set) when the line is not a valid write command.
std::optional<WriteCommand> parse_write_command(std::string_view line, std::string& error);

} // namespace iot::poll
