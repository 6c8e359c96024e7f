#include "iot/export/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "iot/core/error.hpp"

namespace iot::exporter {

namespace {

int open_output(const std::string& path) {
  if (path == "-") return 1;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw errno_error("cannot create " + path);
  return fd;
}

} // namespace

OutputLines::OutputLines(const std::string& path) : m_fd{open_output(path)}, m_sink(m_fd.fd) {}

OutputLines::Fd::~Fd() {
  if (fd > 1) ::close(fd);
}

} // namespace iot::exporter
