#pragma once
// The one JSON writer of the toolkit. It appends to a caller's string so a
// whole record line is built in memory and written at once (see output.hpp).
// Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
// replaced by U+FFFD so every line we write is valid UTF-8 JSON.
#include <cstdint>
#include <string>
#include <string_view>

#include "iot/core/time.hpp"

namespace iot {

// While an object or array is open the writer owns the end of the string (it
// grows it in chunks and writes in place, which is what makes it fast); the
// string is exact again whenever the writer is back at the top level and when
// the writer is destroyed. So: do not touch the string while a record is open;
// use raw() to insert pre-encoded JSON.
class JsonWriter {
public:
  explicit JsonWriter(std::string& out);
  ~JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // Writes `"name":`, with the comma that must come before it.
  void key(std::string_view name);

  void value(std::string_view s);
  void value(const char* s) { value(std::string_view(s)); }
  void value(const std::string& s) { value(std::string_view(s)); }
  void value(bool b);
  void value(int v) { value(static_cast<long long>(v)); }
  void value(unsigned v) { value(static_cast<unsigned long long>(v)); }
  void value(long v) { value(static_cast<long long>(v)); }
  void value(unsigned long v) { value(static_cast<unsigned long long>(v)); }
  void value(long long v);
  void value(unsigned long long v);
  void value(double v); // NaN and infinities become null: JSON has no spelling for them
  void value_ts(TimePoint t);
  // Bytes as a string of lower-case hex digits without separators.
  void value_hex(const std::uint8_t* data, std::size_t size);
  void null();
  // Inserts already-encoded JSON as one value (used to pass payloads through).
  void raw(std::string_view json);

  template <typename T> void field(std::string_view name, const T& v) {
    key(name);
    value(v);
  }
  void field_null(std::string_view name) {
    key(name);
    null();
  }

  // Starts a record: `{"ts":"…","kind":"…"` ; finish it with end_object().
  void begin_record(TimePoint ts, std::string_view kind);

private:
  void separate();
  // A new level: an object or an array ('{' or '['), and its end.
  void open(char bracket);
  void close(char bracket);
  // Room for `n` more bytes at m_pos.
  char* room(std::size_t n) {
    if (static_cast<std::size_t>(m_end - m_pos) < n) grow(n);
    return m_pos;
  }
  void grow(std::size_t n);
  void put(char c) { *room(1) = c, ++m_pos; }
  void put(std::string_view s);
  void put_string(std::string_view s);
  // Makes the string's size exact again (at the top level).
  void sync();
  void done() {
    if (m_depth == 0) sync();
  }

  std::string& m_out;
  char* m_pos = nullptr;         // next byte to write, inside m_out's storage
  char* m_end = nullptr;         // end of the bytes m_out has been grown to
  std::size_t m_grown = 0;       // m_out.size() as this writer left it; differs if someone else changed it
  std::uint64_t m_has_items = 0; // bit per nesting level: a value was written there
  int m_depth = 0;
  bool m_after_key = false;
};

// Appends `s` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view s);

// Writes the JSON text of `v` exactly as JsonWriter::value(double) does (null for
// NaN and infinities, integral values without fraction or exponent) to `p`, which
// must have room for 32 bytes; returns the end. For callers that assemble lines
// from pre-rendered fragments (iot-poll's reading records).
char* format_json_double(double v, char* p);

} // namespace iot
