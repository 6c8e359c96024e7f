#include "iot/core/exit_code.hpp"

#include <iterator>

namespace iot {

namespace {
constexpr ExitCodeInfo k_exit_codes[] = {
    {ExitCode::ok, "ok", "success; also a clean stop on SIGINT, SIGTERM or when the reader of stdout goes away"},
    {ExitCode::bad_input, "bad-input", "finished, but some input was rejected; stderr names each line and why"},
    {ExitCode::usage, "usage", "the command line is wrong; nothing was done"},
    {ExitCode::config, "config", "a configuration file is wrong; stderr names file:line:column; nothing was done"},
    {ExitCode::io, "io", "a file, serial port, socket or broker could not be opened or used"},
    {ExitCode::timeout, "timeout", "a device or broker did not answer in time"},
    {ExitCode::protocol, "protocol", "a peer answered with malformed data"},
    {ExitCode::device_exception, "device-exception", "a device answered with a Modbus exception response"},
    {ExitCode::data_lost, "data-lost", "records were dropped on purpose (for example a full spool) and are gone"},
    {ExitCode::internal, "internal", "an internal error; please report it"},
};
} // namespace

const ExitCodeInfo* exit_code_table(std::size_t& count) {
  count = std::size(k_exit_codes);
  return k_exit_codes;
}

ExitCode exit_code_for(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage: return ExitCode::usage;
  case ErrorKind::config: return ExitCode::config;
  case ErrorKind::io: return ExitCode::io;
  case ErrorKind::timeout: return ExitCode::timeout;
  case ErrorKind::protocol: return ExitCode::protocol;
  case ErrorKind::device_exception: return ExitCode::device_exception;
  case ErrorKind::data: return ExitCode::bad_input;
  case ErrorKind::internal: return ExitCode::internal;
  }
  return ExitCode::internal;
}

} // namespace iot
