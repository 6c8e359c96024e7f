#include "iot/mqtt/spool.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/mqtt/codec.hpp"

namespace iot::mqtt {

namespace {
constexpr char k_magic[8] = {'I', 'O', 'T', 'S', 'P', 'L', '1', '\n'};
constexpr std::uint64_t k_header = sizeof k_magic;
constexpr std::uint64_t k_record_header = 8; // u32 length + u32 CRC
constexpr std::size_t k_write_buffer = 256 * 1024;
constexpr std::size_t k_read_chunk = 1024 * 1024;
constexpr std::uint32_t k_max_record = 1u << 29; // far above any MQTT payload limit: a larger length is garbage

void write_all(int fd, const char* data, std::size_t size, const std::string& what) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw errno_error("cannot write spool " + what);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::uint32_t get_u32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
} // namespace

// Every file of the spool folder is created here, so that their permissions are
// decided in one place: spooled records are the user's data, so 0600.
int Spool::create_file(const std::string& path, int flags) {
  return ::open(path.c_str(), flags | O_CREAT | O_CLOEXEC, 0600);
}

std::string Spool::seg_path(std::uint64_t n) const {
  char name[48];
  std::snprintf(name, sizeof name, "seg-%020llu.spool", static_cast<unsigned long long>(n));
  return m_opt.dir + "/" + name;
}

Spool::Spool(SpoolOptions options) : m_opt(std::move(options)) {
  namespace fs = std::filesystem;
  if (m_opt.segment_bytes > m_opt.max_bytes / 4)
    m_opt.segment_bytes = std::max<std::uint64_t>(m_opt.max_bytes / 4, 4096);
  std::error_code ec;
  // Spooled records are the user's data: a new spool folder is 0700 and its files 0600
  // (an existing folder keeps the mode its owner gave it).
  if (!fs::is_directory(m_opt.dir, ec)) {
    if (const fs::path parent = fs::path(m_opt.dir).parent_path(); !parent.empty()) fs::create_directories(parent, ec);
    if (::mkdir(m_opt.dir.c_str(), 0700) != 0 && errno != EEXIST)
      throw errno_error("cannot create spool directory '" + m_opt.dir + "'");
  }
  lock_dir();
  for (const auto& entry : fs::directory_iterator(m_opt.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 30 && name.rfind("seg-", 0) == 0 && name.substr(24) == ".spool")
      m_segments.push_back(std::stoull(name.substr(4, 20)));
  }
  if (ec) throw io_error("cannot list spool directory '" + m_opt.dir + "': " + ec.message());
  std::sort(m_segments.begin(), m_segments.end());

  const std::string cursor_path = m_opt.dir + "/cursor";
  m_cfd = create_file(cursor_path, O_RDWR);
  if (m_cfd < 0) throw errno_error("cannot open spool cursor '" + cursor_path + "'");
  char cbuf[20];
  bool have_cursor = false;
  if (::pread(m_cfd, cbuf, sizeof cbuf, 0) == static_cast<ssize_t>(sizeof cbuf) &&
      get_u32(cbuf + 16) == crc32(std::string_view(cbuf, 16))) {
    std::memcpy(&m_cursor.segment, cbuf, 8);
    std::memcpy(&m_cursor.offset, cbuf + 8, 8);
    have_cursor = true;
  }
  if (!have_cursor) m_cursor = {m_segments.empty() ? 1 : m_segments.front(), k_header};
  // Segments wholly before the cursor were acknowledged before a crash.
  while (!m_segments.empty() && m_segments.front() < m_cursor.segment) {
    ::unlink(seg_path(m_segments.front()).c_str());
    m_segments.erase(m_segments.begin());
  }
  if (m_segments.empty()) {
    const std::uint64_t n = std::max<std::uint64_t>(m_cursor.segment, 1);
    m_cursor = {n, k_header};
    open_write_segment(n, true);
  } else {
    if (m_cursor.segment < m_segments.front()) m_cursor = {m_segments.front(), k_header};
    // Only the last segment can end in a torn record: earlier ones were closed whole.
    const std::uint64_t last = m_segments.back();
    std::uint64_t end = k_header;
    scan_segment(last, k_header, &end, true);
    open_write_segment(last, false);
  }
  m_sizes.clear();
  m_bytes = 0;
  for (std::uint64_t s : m_segments) {
    struct stat st {};
    const std::uint64_t size = ::stat(seg_path(s).c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    m_sizes.push_back(size);
    m_bytes += size;
  }
  if (m_cursor.offset < k_header) m_cursor.offset = k_header;
  if (m_cursor.segment == m_wseg && m_cursor.offset > m_sizes.back()) m_cursor.offset = m_sizes.back();
  m_read = m_cursor;
  // What a previous run left unacknowledged (pub counts its replay as resent).
  for (std::uint64_t seg : m_segments) {
    if (seg < m_cursor.segment) continue;
    std::uint64_t end = k_header;
    m_recovered += scan_segment(seg, seg == m_cursor.segment ? m_cursor.offset : k_header, &end, false);
  }
  sync_cursor();
}

Spool::~Spool() {
  try {
    flush();
    sync_cursor();
  } catch (const std::exception& e) {
    log::error("spool: {}", e.what());
  }
  if (m_wfd >= 0) ::close(m_wfd);
  if (m_rfd >= 0) ::close(m_rfd);
  if (m_cfd >= 0) ::close(m_cfd);
  if (m_lock_fd >= 0) ::close(m_lock_fd); // releases the flock
}

// Two processes appending to one spool interleave records and fight over the
// cursor (issue 10), so the folder is taken exclusively. flock(2) locks go
// away with the process, also on SIGKILL, so a stale lock file does no harm.
void Spool::lock_dir() {
  const std::string path = m_opt.dir + "/lock";
  m_lock_fd = create_file(path, O_RDWR);
  if (m_lock_fd < 0) throw errno_error("cannot open spool lock '" + path + "'");
  if (::flock(m_lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(m_lock_fd, buf, sizeof buf - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
      holder.pop_back();
    ::close(m_lock_fd);
    m_lock_fd = -1;
    if (err == EWOULDBLOCK)
      throw io_error("spool '" + m_opt.dir + "' is in use by another process" +
                     (holder.empty() ? std::string() : " (pid " + holder + ")") +
                     "; give each pub its own --spool folder");
    errno = err;
    throw errno_error("cannot lock spool '" + path + "'");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(m_lock_fd, 0) == 0) write_all(m_lock_fd, pid.data(), pid.size(), path);
}

void Spool::open_write_segment(std::uint64_t n, bool fresh) {
  if (m_wfd >= 0) ::close(m_wfd);
  const std::string path = seg_path(n);
  m_wfd = create_file(path, O_WRONLY | O_APPEND);
  if (m_wfd < 0) throw errno_error("cannot open spool segment '" + path + "'");
  m_wseg = n;
  if (fresh) {
    if (::ftruncate(m_wfd, 0) != 0) throw errno_error("cannot truncate spool segment '" + path + "'");
    write_all(m_wfd, k_magic, sizeof k_magic, path);
    if (m_segments.empty() || m_segments.back() != n) {
      m_segments.push_back(n);
      m_sizes.push_back(k_header);
      m_bytes += k_header;
    }
  }
}

// Counts the whole records of segment `n` from offset `from`; `end` gets the end
// of the last whole record. With `truncate`, anything after it is cut off.
std::uint64_t Spool::scan_segment(std::uint64_t n, std::uint64_t from, std::uint64_t* end, bool truncate) {
  const std::string path = seg_path(n);
  const int fd = ::open(path.c_str(), (truncate ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw errno_error("cannot open spool segment '" + path + "'");
  struct stat st {};
  ::fstat(fd, &st);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  char magic[8] = {};
  std::uint64_t count = 0;
  std::uint64_t pos = from;
  if (::pread(fd, magic, 8, 0) != 8 || std::memcmp(magic, k_magic, 8) != 0) {
    pos = 0; // not even a header: rewrite it
  } else {
    std::string body;
    char hdr[8];
    while (pos + k_record_header <= size) {
      if (::pread(fd, hdr, 8, static_cast<off_t>(pos)) != 8) break;
      const std::uint32_t len = get_u32(hdr);
      if (len < 4 || len > k_max_record || pos + k_record_header + len > size) break;
      body.resize(len);
      if (::pread(fd, body.data(), len, static_cast<off_t>(pos + 8)) != static_cast<ssize_t>(len)) break;
      if (crc32(body) != get_u32(hdr + 4)) break;
      pos += k_record_header + len;
      ++count;
    }
  }
  if (truncate && pos < size) {
    m_torn_bytes += size - pos;
    log::warn("spool: segment {} ends in {} bytes of a torn record; dropped them", n, size - pos);
    if (::ftruncate(fd, static_cast<off_t>(pos)) != 0) {
      ::close(fd);
      throw errno_error("cannot truncate spool segment '" + path + "'");
    }
    if (pos == 0 && ::pwrite(fd, k_magic, 8, 0) != 8) {
      ::close(fd);
      throw errno_error("cannot write spool segment '" + path + "'");
    }
    if (pos == 0) pos = k_header;
  }
  ::close(fd);
  if (end != nullptr) *end = pos;
  return count;
}

std::uint64_t Spool::seg_size(std::uint64_t n) const {
  auto it = std::lower_bound(m_segments.begin(), m_segments.end(), n);
  if (it == m_segments.end() || *it != n) return 0;
  return m_sizes[static_cast<std::size_t>(it - m_segments.begin())];
}

Spool::Append Spool::append(std::string_view topic, std::string_view payload, int qos, bool retain) {
  const std::uint64_t body = 4 + topic.size() + payload.size();
  const std::uint64_t size = k_record_header + body;
  if (size + 2 * k_header > m_opt.max_bytes) return Append::dropped_newest; // could never fit
  while (bytes() + size > m_opt.max_bytes) {
    if (m_opt.full == SpoolFull::drop_newest) return Append::dropped_newest;
    if (m_opt.full == SpoolFull::block) return Append::full;
    if (!drop_oldest()) return Append::dropped_newest;
  }
  if (seg_size(m_wseg) + m_wbuf.size() + size > m_opt.segment_bytes && seg_size(m_wseg) + m_wbuf.size() > k_header) {
    flush();
    open_write_segment(m_wseg + 1, true);
  }
  const std::size_t at = m_wbuf.size();
  m_wbuf.resize(at + k_record_header);
  const auto b32 = static_cast<std::uint32_t>(body);
  std::memcpy(m_wbuf.data() + at, &b32, 4);
  m_wbuf.push_back(static_cast<char>(qos));
  m_wbuf.push_back(static_cast<char>(retain ? 1 : 0));
  const auto tlen = static_cast<std::uint16_t>(topic.size());
  m_wbuf.append(reinterpret_cast<const char*>(&tlen), 2);
  m_wbuf.append(topic);
  m_wbuf.append(payload);
  const std::uint32_t c = crc32(std::string_view(m_wbuf.data() + at + k_record_header, body));
  std::memcpy(m_wbuf.data() + at + 4, &c, 4);
  if (m_wbuf.size() >= k_write_buffer) flush();
  return Append::ok;
}

void Spool::flush() {
  if (m_wbuf.empty()) return;
  write_all(m_wfd, m_wbuf.data(), m_wbuf.size(), seg_path(m_wseg));
  m_sizes.back() += m_wbuf.size();
  m_bytes += m_wbuf.size();
  m_wbuf.clear();
}

bool Spool::drop_oldest() {
  if (m_segments.size() < 2) {
    if (seg_size(m_wseg) + m_wbuf.size() <= k_header) return false;
    flush();
    open_write_segment(m_wseg + 1, true);
  }
  const std::uint64_t seg = m_segments.front();
  const std::uint64_t from = m_cursor.segment == seg ? m_cursor.offset : k_header;
  const std::uint64_t records = scan_segment(seg, from, nullptr, false);
  const std::uint64_t next = m_segments[1];
  if (m_cursor.segment <= seg) m_cursor = {next, k_header};
  if (m_read.segment <= seg) m_read = {next, k_header};
  delete_before(next);
  sync_cursor();
  if (on_drop) on_drop(seg, records);
  return true;
}

void Spool::delete_before(std::uint64_t segment) {
  while (m_segments.size() > 1 && m_segments.front() < segment) {
    const std::uint64_t s = m_segments.front();
    ::unlink(seg_path(s).c_str());
    m_bytes -= m_sizes.front();
    m_segments.erase(m_segments.begin());
    m_sizes.erase(m_sizes.begin());
    if (m_rseg == s) {
      ::close(m_rfd);
      m_rfd = -1;
      m_rseg = ~0ull;
      m_rbuf.clear();
    }
  }
}

bool Spool::read_next(SpoolRecord& out) {
  for (;;) {
    if (m_read.segment < m_segments.front()) m_read = {m_segments.front(), k_header};
    const std::uint64_t size = seg_size(m_read.segment);
    if (m_read.offset + k_record_header > size) {
      if (m_read.segment == m_wseg) {
        if (m_wbuf.empty()) return false;
        flush();
        continue;
      }
      auto it = std::upper_bound(m_segments.begin(), m_segments.end(), m_read.segment);
      m_read = {it == m_segments.end() ? m_wseg : *it, k_header};
      continue;
    }
    if (m_rseg != m_read.segment) {
      if (m_rfd >= 0) ::close(m_rfd);
      const std::string path = seg_path(m_read.segment);
      m_rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (m_rfd < 0) throw errno_error("cannot open spool segment '" + path + "'");
      m_rseg = m_read.segment;
      m_rbuf.clear();
      m_rbuf_off = 0;
    }
    auto fetch = [&](std::uint64_t off, std::uint64_t len) -> const char* {
      if (off >= m_rbuf_off && off + len <= m_rbuf_off + m_rbuf.size()) return m_rbuf.data() + (off - m_rbuf_off);
      m_rbuf.resize(std::max<std::uint64_t>(len, k_read_chunk));
      const ssize_t n = ::pread(m_rfd, m_rbuf.data(), m_rbuf.size(), static_cast<off_t>(off));
      m_rbuf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
      m_rbuf_off = off;
      return m_rbuf.size() >= len ? m_rbuf.data() : nullptr;
    };
    const char* hdr = fetch(m_read.offset, k_record_header);
    const std::uint32_t len = hdr != nullptr ? get_u32(hdr) : 0;
    const std::uint32_t want_crc = hdr != nullptr ? get_u32(hdr + 4) : 0;
    const char* body = nullptr;
    if (hdr != nullptr && len >= 4 && len <= k_max_record && m_read.offset + k_record_header + len <= size)
      body = fetch(m_read.offset + k_record_header, len);
    if (body == nullptr || crc32(std::string_view(body, len)) != want_crc) {
      log::warn("spool: corrupt record in segment {} at offset {}; skipping the rest of that segment", m_read.segment,
                m_read.offset);
      if (m_read.segment == m_wseg) return false;
      auto it = std::upper_bound(m_segments.begin(), m_segments.end(), m_read.segment);
      m_read = {it == m_segments.end() ? m_wseg : *it, k_header};
      continue;
    }
    std::uint16_t tlen;
    std::memcpy(&tlen, body + 2, 2);
    if (4u + tlen > len) {
      log::warn("spool: malformed record in segment {} at offset {}; skipped", m_read.segment, m_read.offset);
      m_read.offset += k_record_header + len;
      continue;
    }
    out.pos = m_read;
    out.qos = static_cast<std::uint8_t>(body[0]);
    out.retain = (body[1] & 1) != 0;
    out.topic.assign(body + 4, tlen);
    out.payload.assign(body + 4 + tlen, len - 4 - tlen);
    m_read.offset += k_record_header + len;
    out.next = m_read;
    return true;
  }
}

void Spool::rewind_to_cursor() { m_read = m_cursor; }

void Spool::set_cursor(SpoolPos pos) {
  // A cursor at the end of a closed segment means the start of the next one.
  while (pos.segment != m_wseg && pos.offset >= seg_size(pos.segment)) {
    auto it = std::upper_bound(m_segments.begin(), m_segments.end(), pos.segment);
    if (it == m_segments.end()) break;
    pos = {*it, k_header};
  }
  if (pos < m_cursor) return; // never move backwards (late acknowledgements)
  m_cursor = pos;
  delete_before(pos.segment);
}

void Spool::sync_cursor() {
  if (m_cursor == m_cursor_synced) return;
  char buf[20];
  std::memcpy(buf, &m_cursor.segment, 8);
  std::memcpy(buf + 8, &m_cursor.offset, 8);
  const std::uint32_t c = crc32(std::string_view(buf, 16));
  std::memcpy(buf + 16, &c, 4);
  // One 20-byte pwrite: a killed process leaves either the old or the new cursor.
  if (::pwrite(m_cfd, buf, sizeof buf, 0) != static_cast<ssize_t>(sizeof buf))
    throw errno_error("cannot write spool cursor");
  m_cursor_synced = m_cursor;
}

bool Spool::read_all() const {
  return m_wbuf.empty() && m_read.segment == m_wseg && m_read.offset + k_record_header > seg_size(m_wseg);
}

bool Spool::empty() const {
  return m_wbuf.empty() && m_cursor.segment == m_wseg && m_cursor.offset + k_record_header > seg_size(m_wseg);
}

} // namespace iot::mqtt
