#pragma once
// The exit statuses of every tool. docs/exit-codes.md and the EXIT STATUS
// section of each man page describe this table; tests/e2e/common checks them.
#include <string_view>

#include "iot/core/error.hpp"

namespace iot {

enum class ExitCode : int {
  ok = 0,               // everything done; also a clean stop by SIGINT/SIGTERM or a closed reader
  bad_input = 1,        // finished, but some input lines or records were rejected (see stderr)
  usage = 2,            // the command line is wrong; nothing was done
  config = 3,           // a configuration file is wrong; nothing was done
  io = 4,               // a file, port, socket or broker could not be opened or used
  timeout = 5,          // a device or broker did not answer
  protocol = 6,         // a peer answered with malformed data
  device_exception = 7, // a device answered with a Modbus exception
  data_lost = 8,        // records were dropped (e.g. a full spool) and are gone
  internal = 70,        // a bug: please report it
};

struct ExitCodeInfo {
  ExitCode code;
  std::string_view name;
  std::string_view meaning;
};

// Every exit status with its name and meaning, in numeric order.
const ExitCodeInfo* exit_code_table(std::size_t& count);

// The exit status for an error of this kind.
ExitCode exit_code_for(ErrorKind kind);

constexpr int to_int(ExitCode c) { return static_cast<int>(c); }

} // namespace iot
