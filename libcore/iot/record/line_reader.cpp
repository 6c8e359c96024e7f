#include "iot/record/line_reader.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "iot/core/error.hpp"
#include "iot/core/signals.hpp"

namespace iot {

namespace {
constexpr std::size_t k_chunk = 1 << 20;

std::size_t read_fd(int fd, char* buf, std::size_t size) {
  for (;;) {
    ssize_t n = ::read(fd, buf, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) {
      if (stop_requested()) return 0; // treat a stop request as the end of input
      continue;
    }
    throw errno_error("cannot read input");
  }
}
} // namespace

LineReader::LineReader(int fd) : LineReader([fd](char* b, std::size_t n) { return read_fd(fd, b, n); }) {}

LineReader::LineReader(ReadFn read) : m_read(std::move(read)) { m_buf.resize(k_chunk + k_line_padding); }

std::unique_ptr<LineReader> LineReader::open(const std::string& path) {
  if (path == "-") return std::make_unique<LineReader>(0);
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
    gzFile gz = gzopen(path.c_str(), "rb");
    if (gz == nullptr) throw errno_error("cannot open " + path);
    gzbuffer(gz, 1 << 17);
    auto owner = std::shared_ptr<void>(gz, [](void* p) { gzclose(static_cast<gzFile>(p)); });
    auto reader = std::make_unique<LineReader>([gz, path](char* b, std::size_t n) {
      int got = gzread(gz, b, static_cast<unsigned>(n));
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(gz, &code);
        throw io_error(path + ": " + (msg ? msg : "gzip error"));
      }
      // zlib ends a stream cut short like a complete one, but leaves
      // Z_BUF_ERROR behind (zlib.h, gzread): a truncated file is an error.
      if (got == 0) {
        int code = Z_OK;
        gzerror(gz, &code);
        if (code == Z_BUF_ERROR)
          throw data_error(path + ": truncated gzip file (unexpected end of the compressed data)");
      }
      return static_cast<std::size_t>(got);
    });
    reader->m_owner = owner;
    return reader;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw errno_error("cannot open " + path);
  auto owner = std::shared_ptr<void>(reinterpret_cast<void*>(static_cast<intptr_t>(fd) + 1),
                                     [](void* p) { ::close(static_cast<int>(reinterpret_cast<intptr_t>(p) - 1)); });
  auto reader = std::make_unique<LineReader>(fd);
  reader->m_owner = owner;
  return reader;
}

bool LineReader::fill() {
  if (m_eof) return false;
  // Move the partial line to the front, grow if a single line fills the buffer.
  if (m_begin > 0) {
    std::memmove(m_buf.data(), m_buf.data() + m_begin, m_end - m_begin);
    m_end -= m_begin;
    m_begin = 0;
  }
  if (m_buf.size() - k_line_padding - m_end < k_chunk / 4) m_buf.resize(m_buf.size() * 2);
  if (m_before_read) m_before_read();
  std::size_t n = m_read(m_buf.data() + m_end, m_buf.size() - k_line_padding - m_end);
  if (n == 0) {
    m_eof = true;
    return false;
  }
  m_end += n;
  return true;
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    const char* start = m_buf.data() + m_begin;
    const void* nl = std::memchr(start, '\n', m_end - m_begin);
    if (nl != nullptr) {
      auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - start);
      m_begin += len + 1;
      if (len > 0 && start[len - 1] == '\r') --len;
      line = std::string_view(start, len);
      ++m_line_number;
      return true;
    }
    if (!fill()) {
      if (m_begin == m_end) return false;
      // Last line without a newline.
      const char* s = m_buf.data() + m_begin;
      std::size_t len = m_end - m_begin;
      m_begin = m_end;
      if (len > 0 && s[len - 1] == '\r') --len;
      line = std::string_view(s, len);
      ++m_line_number;
      return true;
    }
  }
}

} // namespace iot
