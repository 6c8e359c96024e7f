#pragma once
// Record output: lines are built whole in a buffer and written with write(2),
// so a reader never sees half a line. A closed reader (EPIPE) ends the tool
// quietly; a full disk truncates a regular file back to its last whole line.
#include <string>

#include "iot/record/json_writer.hpp"

namespace iot {

// Thrown when the reader of our output has gone away (`| head`). The CLI
// layer catches it and exits 0 without a message.
struct OutputClosed {};

class LineSink {
public:
  // `fd` is where lines go (1 = stdout). With `flush_each_line`, every line is
  // written at once (interactive use); otherwise up to 64 KiB are gathered.
  explicit LineSink(int fd = 1, bool flush_each_line = false);
  ~LineSink();
  LineSink(const LineSink&) = delete;
  LineSink& operator=(const LineSink&) = delete;

  // The buffer a caller appends one line to, after begin_line(); end_line() adds '\n'.
  std::string& begin_line() {
    m_line_start = m_buffer.size();
    return m_buffer;
  }
  void end_line();
  // Drops what was appended since begin_line() (a record that could not be finished).
  void cancel_line() { m_buffer.resize(m_line_start); }

  // Appends a complete line (without its '\n').
  void write_line(std::string_view line);

  // Writes everything buffered. Call before blocking on input.
  void flush();

  void set_flush_each_line(bool on) { m_flush_each_line = on; }
  std::size_t lines_written() const { return m_lines; }

private:
  void write_all(const char* data, std::size_t size);

  int m_fd;
  bool m_flush_each_line;
  bool m_closed = false;
  std::string m_buffer;
  std::size_t m_line_start = 0;
  std::size_t m_lines = 0;
};

// A JsonWriter over one line of a sink:  RecordLine r(sink); r.w.begin_record(...); ...
// The line is written when the RecordLine goes out of scope normally.
class RecordLine {
public:
  explicit RecordLine(LineSink& sink) : m_sink(sink), w(sink.begin_line()) {}
  ~RecordLine() noexcept(false);
  RecordLine(const RecordLine&) = delete;
  RecordLine& operator=(const RecordLine&) = delete;

private:
  LineSink& m_sink;
  int m_uncaught = std::uncaught_exceptions();

public:
  JsonWriter w;
};

// Writes one typed record (iot::record's structs) as one line of `sink`.
template <typename Record> void write_record(LineSink& sink, const Record& rec) {
  RecordLine line(sink);
  write(line.w, rec); // found by argument-dependent lookup in iot::record
}

} // namespace iot
