#include "iot/export/input.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/export/row.hpp"
#include "iot/record/line_reader.hpp"

namespace iot::exporter {

namespace {
constexpr std::size_t k_max_warnings = 100; // beyond this only the count is reported
constexpr std::size_t k_tick_check = 64;    // records between two looks at the clock

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

constexpr std::uint32_t bit(RecordKind k) { return 1u << static_cast<unsigned>(k); }
} // namespace

RecordInput::RecordInput(std::vector<std::string> paths, bool progress)
    : m_paths(std::move(paths)), m_progress(progress),
      m_accepted(bit(RecordKind::reading) | bit(RecordKind::alarm) | bit(RecordKind::status)) {
  if (m_paths.empty()) m_paths.emplace_back("-");
}

void RecordInput::accept(RecordKind kind) { m_accepted |= bit(kind); }

void RecordInput::set_tick(std::chrono::milliseconds period, std::function<void()> tick) {
  m_tick_period = period;
  m_tick = std::move(tick);
  m_next_tick = std::chrono::steady_clock::now() + period;
}

void RecordInput::reject(std::string_view reason) {
  ++m_bad;
  if (m_bad <= k_max_warnings) log::warn("{}:{}: {}", m_name, m_line, reason);
  if (m_bad == k_max_warnings) log::warn("further bad lines are counted but not shown");
}

void RecordInput::skip(std::string_view kind_name, std::string_view why) {
  ++m_skipped;
  auto it = m_skipped_kinds.find(kind_name);
  if (it != m_skipped_kinds.end()) {
    ++it->second;
    return;
  }
  m_skipped_kinds.emplace(std::string(kind_name), 1);
  log::warn("{}:{}: {} (further ones are counted)", m_name, m_line, why);
}

void RecordInput::maybe_tick() {
  if (!m_tick) return;
  auto now = std::chrono::steady_clock::now();
  if (now < m_next_tick) return;
  m_next_tick = now + m_tick_period;
  m_tick();
}

// Reads like read(2), but while waiting for a pipe that stays open it wakes up
// for the tick, so rows are committed while the writer of the pipe is idle.
std::size_t RecordInput::read_fd(int fd, char* buf, std::size_t size) {
  for (;;) {
    if (m_tick) {
      maybe_tick();
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m_next_tick - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count() + 1, 0)));
      if (n == 0) continue;
      if (n < 0) {
        if (errno != EINTR) throw errno_error("cannot read " + m_name);
        if (stop_requested()) return 0;
        continue;
      }
    }
    ssize_t n = ::read(fd, buf, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) {
      if (stop_requested()) return 0; // a stop request ends the input
      continue;
    }
    throw errno_error("cannot read " + m_name);
  }
}

void RecordInput::for_each(const std::function<void(const Record&)>& fn) {
  Progress progress("reading", m_progress);
  std::uint64_t total = 0;
  for (const auto& p : m_paths) {
    struct stat st {};
    // Compressed input and pipes have no known size: the bar then shows a counter.
    if (p == "-" || ends_with(p, ".gz") || ::stat(p.c_str(), &st) != 0) {
      total = 0;
      break;
    }
    total += static_cast<std::uint64_t>(st.st_size);
  }
  progress.set_total(total);
  std::uint64_t done = 0;
  std::size_t since_tick = 0;
  for (const auto& path : m_paths) {
    m_name = path == "-" ? "stdin" : path;
    std::unique_ptr<LineReader> reader;
    int fd = -1;
    if (ends_with(path, ".gz")) {
      reader = LineReader::open(path);
    } else {
      fd = path == "-" ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw errno_error("cannot open " + path);
      reader = std::make_unique<LineReader>([this, fd](char* b, std::size_t n) { return read_fd(fd, b, n); });
    }
    struct Closer {
      int fd;
      ~Closer() {
        if (fd > 0) ::close(fd);
      }
    } closer{fd};
    std::string_view line;
    while (reader->next(line)) {
      if (stop_requested()) break;
      if (++since_tick == k_tick_check) {
        since_tick = 0;
        maybe_tick();
      }
      m_line = reader->line_number();
      ++m_lines;
      done += line.size() + 1;
      progress.update(done, m_records);
      if (line.empty()) continue;
      simdjson::dom::object obj;
      try {
        obj = m_parser.parse(line, m_line);
      } catch (const Error& e) {
        std::string_view why = e.what();
        // The parser's message starts with "line N: "; we print FILE:LINE ourselves.
        if (auto colon = why.find(": "); why.starts_with("line ") && colon != std::string_view::npos)
          why.remove_prefix(colon + 2);
        reject(why);
        continue;
      }
      std::string_view kind_name;
      if (obj[fields::kind].get_string().get(kind_name)) {
        reject("no \"kind\"");
        continue;
      }
      RecordKind kind = record_kind_from(kind_name);
      std::string_view text = line;
      if (kind == RecordKind::mqtt) {
        // An envelope from iot-mqtt-bridge sub: its payload, when that is a
        // record, is the record (docs/record-format.md, "mqtt").
        simdjson::dom::element payload_elem;
        simdjson::dom::object payload;
        std::string_view inner_name;
        if (obj[fields::payload].get(payload_elem) || payload_elem.get_object().get(payload) ||
            payload[fields::kind].get_string().get(inner_name)) {
          skip("mqtt", "mqtt message whose payload is not a record is not exported");
          continue;
        }
        RecordKind inner = record_kind_from(inner_name);
        if (!accepted(inner)) {
          skip(inner_name, "kind \"" + std::string(inner_name) + "\" (in an mqtt payload) is not exported here");
          continue;
        }
        obj = payload;
        kind = inner;
        m_unwrapped.clear();
        append_json(m_unwrapped, payload_elem);
        text = m_unwrapped;
      } else if (kind == RecordKind::unknown) {
        reject("unknown kind \"" + std::string(kind_name) + "\"");
        continue;
      } else if (!accepted(kind)) {
        skip(kind_name, "kind \"" + std::string(kind_name) + "\" is not exported here");
        continue;
      }
      ++m_records;
      fn(Record{obj, kind, text});
    }
    if (stop_requested()) break;
  }
  progress.finish();
  if (m_skipped > 0) {
    std::string list;
    for (const auto& [k, n] : m_skipped_kinds)
      list += (list.empty() ? "" : ", ") + k + " " + std::to_string(n);
    log::warn("skipped {} records of kinds that are not exported: {}", m_skipped, list);
  }
  if (m_bad > 0) log::warn("{} bad input lines skipped", m_bad);
}

} // namespace iot::exporter
