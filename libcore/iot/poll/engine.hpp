#pragma once
// The polling engine: one worker thread per port (a bus carries one transaction
// at a time), ports in parallel.
//
// A worker's cycle: every online device's planned reads in turn, then one request
// to each offline device whose reconnect time has come (a re-probe), then a wait for
// the next cycle. Queued writes (Engine::submit: stdin commands, alarm linkage) go
// out before the next read request, never later (the seed's 优先执行命令), and at
// once while the worker waits. A device that leaves `offline_after` requests in a
// row unanswered is marked offline and skipped, so silent devices do not slow the
// healthy ones; any answer (even an exception) brings it back. A lost connection is
// reopened with a growing backoff (100 ms doubling up to the reconnect interval)
// while other ports go on; each failed attempt counts as a failed cycle for every
// device on the port, so after `offline_after` of them they are marked offline too
// (with offline readings), also when the connection cannot be opened at start.
// A write to unit 0 is a broadcast: sent, and reported as such, without waiting.
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
  values::Value value; // engineering value (the write record formats it; the text it came in is not kept)
  std::string cause;   // why, for the answer record ("link:NAME"); empty for stdin commands
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

  // The one entry point for writes while polling: queues the write on the port that
  // owns the device; its worker sends it before its next read request (or at once
  // when idle) and answers with a write record. Thread-safe.
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
