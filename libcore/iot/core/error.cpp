#include "iot/core/error.hpp"

#include <cerrno>
#include <cstring>

namespace iot {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage: return "usage";
  case ErrorKind::config: return "config";
  case ErrorKind::io: return "io";
  case ErrorKind::timeout: return "timeout";
  case ErrorKind::protocol: return "protocol";
  case ErrorKind::device_exception: return "device_exception";
  case ErrorKind::data: return "data";
  case ErrorKind::internal: return "internal";
  }
  return "internal";
}

Error errno_error(const std::string& what) {
  int saved = errno;
  return io_error(what + ": " + std::strerror(saved));
}

} // namespace iot
