#pragma once
// Reads text lines from a file descriptor or any byte source in large chunks,
// numbering them from 1. Each line is followed in memory by at least
// k_line_padding readable bytes, so simdjson can parse it in place.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace iot {

class LineReader {
public:
  static constexpr std::size_t k_line_padding = 64; // >= SIMDJSON_PADDING

  // Reads up to `size` bytes into `buf`; returns the count, 0 at end of input.
  using ReadFn = std::function<std::size_t(char* buf, std::size_t size)>;

  explicit LineReader(int fd);
  explicit LineReader(ReadFn read);
  // Opens `path` ("-" is stdin); a name ending in ".gz" is gunzipped on the fly.
  static std::unique_ptr<LineReader> open(const std::string& path);

  // The next line without its "\n" or "\r\n"; false at end of input.
  bool next(std::string_view& line);
  // Number of the line last returned by next() (1-based).
  std::size_t line_number() const { return m_line_number; }
  // Called before the reader blocks for more input (used to flush output first).
  void set_before_read(std::function<void()> hook) { m_before_read = std::move(hook); }

private:
  bool fill();

  ReadFn m_read;
  std::function<void()> m_before_read;
  std::vector<char> m_buf;
  std::size_t m_begin = 0; // start of unread data
  std::size_t m_end = 0;   // end of valid data
  std::size_t m_line_number = 0;
  bool m_eof = false;
  std::shared_ptr<void> m_owner; // keeps an opened file alive
};

} // namespace iot
