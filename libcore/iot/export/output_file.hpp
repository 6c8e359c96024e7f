#pragma once
// The lines an iot-export command writes to a file or to stdout ("-").
#include <string>

#include "iot/record/output.hpp"

namespace iot::exporter {

class OutputLines {
public:
  // Creates or truncates `path` (mode 0644, before the umask); "-" is stdout,
  // which stays open when this goes.
  explicit OutputLines(const std::string& path);

  LineSink& sink() { return m_sink; }

private:
  struct Fd {
    int fd;
    ~Fd(); // closes a file, never stdout
  } m_fd;
  LineSink m_sink; // declared after m_fd: flushed before the file closes
};

} // namespace iot::exporter
