#include "iot/record/output.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "iot/core/error.hpp"

namespace iot {

namespace {
constexpr std::size_t k_flush_threshold = 64 * 1024;
}

LineSink::LineSink(int fd, bool flush_each_line) : m_fd(fd), m_flush_each_line(flush_each_line) {
  m_buffer.reserve(k_flush_threshold * 2);
}

LineSink::~LineSink() {
  try {
    flush();
  } catch (...) { // a destructor must not throw; the error was already reported by a flush() call
  }
}

void LineSink::end_line() {
  m_buffer.push_back('\n');
  ++m_lines;
  if (m_flush_each_line || m_buffer.size() >= k_flush_threshold) flush();
}

void LineSink::write_line(std::string_view line) {
  begin_line().append(line);
  end_line();
}

void LineSink::flush() {
  if (m_buffer.empty()) return;
  if (m_closed) {
    m_buffer.clear();
    throw OutputClosed{};
  }
  write_all(m_buffer.data(), m_buffer.size());
  m_buffer.clear();
}

void LineSink::write_all(const char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(m_fd, data + done, size - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue; // a signal: finish the lines we started
    if (n < 0 && errno == EPIPE) {
      m_closed = true;
      throw OutputClosed{};
    }
    const int err = errno;
    // A full disk (or any other failure) part-way through a line: cut a regular
    // file back to the end of the last whole line so no torn line is left.
    std::size_t whole = done;
    while (whole > 0 && data[whole - 1] != '\n')
      --whole;
    struct stat st {};
    if (whole != done && ::fstat(m_fd, &st) == 0 && S_ISREG(st.st_mode)) {
      off_t end = ::lseek(m_fd, 0, SEEK_CUR);
      if (end >= 0) {
        off_t cut = end - static_cast<off_t>(done - whole);
        if (::ftruncate(m_fd, cut) == 0) ::lseek(m_fd, cut, SEEK_SET);
      }
    }
    m_closed = true;
    errno = err != 0 ? err : EIO;
    throw errno_error("cannot write output");
  }
}

RecordLine::~RecordLine() noexcept(false) {
  if (std::uncaught_exceptions() > m_uncaught) {
    m_sink.cancel_line();
    return;
  }
  m_sink.end_line();
}

} // namespace iot
