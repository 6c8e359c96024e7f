#pragma once
// The output of an iot-export command that writes a file or stdout ("-").
#include <string>

namespace iot::exporter {

class OutputFile {
public:
  // Creates or truncates `path` (mode 0644, before the umask); "-" is stdout,
  // which stays open when this goes.
  explicit OutputFile(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  int fd() const { return m_fd; }

private:
  int m_fd;
};

} // namespace iot::exporter
