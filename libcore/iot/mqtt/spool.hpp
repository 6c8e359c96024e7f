#pragma once
// The store-and-forward spool of `pub --spool DIR`: every message read from
// stdin is appended to segment files before it is sent, and an ack cursor
// records the first message the broker has not acknowledged yet. After a
// reconnect or a restart of the bridge, sending resumes at the cursor, in order.
//
// On disk (host byte order):
//   DIR/seg-<20-digit number>.spool  8-byte magic "IOTSPL1\n", then records:
//       u32 body length | u32 CRC-32 of body | body
//       body = u8 qos | u8 flags (bit 0 retain) | u16 topic length | topic | payload
//   DIR/cursor  u64 segment | u64 offset | u32 CRC-32 of the 16 bytes before it
//   DIR/lock    the pid of the process holding the spool (flock(2), exclusive)
//   DIR/dead-letter.jsonl  messages the broker refused again and again (pub.hpp)
// A record cut short by SIGKILL or a power loss (length past the end of the
// file, or a CRC mismatch) ends the segment: it is truncated away at open.
// Segments wholly before the cursor are deleted. The bound (--spool-max) counts
// the bytes of the segment files still present.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace iot::mqtt {

struct SpoolPos {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
  friend bool operator==(const SpoolPos&, const SpoolPos&) = default;
  friend auto operator<=>(const SpoolPos&, const SpoolPos&) = default;
};

struct SpoolRecord {
  SpoolPos pos;  // where the record starts
  SpoolPos next; // where the one after it starts
  int qos = 0;
  bool retain = false;
  std::string topic;
  std::string payload;
};

enum class SpoolFull { drop_oldest, drop_newest, block };

struct SpoolOptions {
  std::string dir;
  std::uint64_t max_bytes = 1ull << 30;      // 1 GiB
  std::uint64_t segment_bytes = 16ull << 20; // 16 MiB; lowered to max_bytes / 4 when that is smaller
  SpoolFull full = SpoolFull::block;
};

class Spool {
public:
  enum class Append { ok, dropped_newest, full };

  // Opens (creating) the directory, truncates a torn tail, loads the cursor.
  explicit Spool(SpoolOptions options);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Appends one message (buffered until flush()). With drop_oldest the oldest
  // segment is deleted to make room; `on_drop(segment, records)` is told which.
  Append append(std::string_view topic, std::string_view payload, int qos, bool retain);
  void flush();

  // The next record after the read position, flushing the write buffer first if
  // need be; false when there is none.
  bool read_next(SpoolRecord& out);
  // Moves the read position back to the cursor (after a reconnect everything
  // unacknowledged is read again).
  void rewind_to_cursor();

  // The first record not acknowledged yet; segments before it are deleted.
  void set_cursor(SpoolPos pos);
  SpoolPos cursor() const { return m_cursor; }
  SpoolPos read_pos() const { return m_read; }
  // Writes the cursor file now.
  void sync_cursor();

  // Bytes of segment files on disk plus the write buffer.
  std::uint64_t bytes() const { return m_bytes + m_wbuf.size(); }
  // Whether every record has been read (nothing after the read position).
  bool read_all() const;
  // Whether nothing is left after the cursor.
  bool empty() const;
  // Records counted at open between the cursor and the end.
  std::uint64_t recovered() const { return m_recovered; }
  std::uint64_t torn_bytes() const { return m_torn_bytes; }

  std::function<void(std::uint64_t segment, std::uint64_t records)> on_drop;

  // Creates (or opens) a file of the spool folder; -1 and errno on failure.
  static int create_file(const std::string& path, int flags);

private:
  void lock_dir();
  std::string seg_path(std::uint64_t n) const;
  void open_write_segment(std::uint64_t n, bool fresh);
  std::uint64_t scan_segment(std::uint64_t n, std::uint64_t from, std::uint64_t* end, bool truncate);
  bool drop_oldest();
  void delete_before(std::uint64_t segment);
  std::uint64_t seg_size(std::uint64_t n) const;

  SpoolOptions m_opt;
  std::vector<std::uint64_t> m_segments; // existing segment numbers, ascending
  std::vector<std::uint64_t> m_sizes;    // their sizes (the write segment: flushed size)
  std::uint64_t m_bytes = 0;
  int m_wfd = -1;
  std::uint64_t m_wseg = 0;
  std::string m_wbuf;
  int m_rfd = -1;
  std::uint64_t m_rseg = ~0ull;
  std::string m_rbuf;
  std::uint64_t m_rbuf_off = 0;
  SpoolPos m_read;
  SpoolPos m_cursor;
  SpoolPos m_cursor_synced{~0ull, ~0ull};
  int m_cfd = -1;
  int m_lock_fd = -1;
  std::uint64_t m_recovered = 0;
  std::uint64_t m_torn_bytes = 0;
};

} // namespace iot::mqtt
