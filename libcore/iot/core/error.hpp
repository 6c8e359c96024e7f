#pragma once
// The one error type of the toolkit. Its kind lets a caller decide what to do:
// retry a timeout, reconnect after an io error, stop on a bad config.
#include <stdexcept>
#include <string>
#include <string_view>

namespace iot {

enum class ErrorKind {
  usage,            // the command line is wrong
  config,           // a site file or other configuration is wrong
  io,               // a file, port, socket or broker could not be used
  timeout,          // a peer did not answer in time
  protocol,         // a peer answered with something malformed
  device_exception, // a Modbus device answered with an exception response
  data,             // an input record or line is malformed
  internal,         // a bug in this toolkit
};

// Stable lower-case name of a kind, as used in records and messages ("timeout").
std::string_view error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), m_kind(kind) {}
  ErrorKind kind() const noexcept { return m_kind; }

private:
  ErrorKind m_kind;
};

// Shorthands so throw sites read as a sentence: throw config_error("...").
inline Error usage_error(const std::string& m) { return {ErrorKind::usage, m}; }
inline Error config_error(const std::string& m) { return {ErrorKind::config, m}; }
inline Error io_error(const std::string& m) { return {ErrorKind::io, m}; }
inline Error timeout_error(const std::string& m) { return {ErrorKind::timeout, m}; }
inline Error protocol_error(const std::string& m) { return {ErrorKind::protocol, m}; }
inline Error data_error(const std::string& m) { return {ErrorKind::data, m}; }

// An io_error naming `what` and the text of the current errno.
Error errno_error(const std::string& what);

} // namespace iot
