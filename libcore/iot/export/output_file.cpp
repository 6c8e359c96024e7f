#include "iot/export/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "iot/core/error.hpp"

namespace iot::exporter {

OutputFile::OutputFile(const std::string& path) : m_fd(1) {
  if (path == "-") return;
  m_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (m_fd < 0) throw errno_error("cannot create " + path);
}

OutputFile::~OutputFile() {
  if (m_fd > 1) ::close(m_fd);
}

} // namespace iot::exporter
