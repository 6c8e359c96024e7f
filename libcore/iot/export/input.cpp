#include "iot/export/input.hpp"

#include <sys/stat.h>

#include "iot/cli/log.hpp"
#include "iot/core/error.hpp"
#include "iot/core/signals.hpp"
#include "iot/record/line_reader.hpp"

namespace iot::exporter {

namespace {
constexpr std::size_t k_max_warnings = 100; // beyond this only the count is reported

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
} // namespace

RecordInput::RecordInput(std::vector<std::string> paths, bool progress)
    : m_paths(std::move(paths)), m_progress(progress) {
  if (m_paths.empty()) m_paths.emplace_back("-");
}

void RecordInput::reject(std::string_view reason) {
  ++m_bad;
  if (m_bad <= k_max_warnings) log::warn("{}:{}: {}", m_name, m_line, reason);
  if (m_bad == k_max_warnings) log::warn("further bad lines are counted but not shown");
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
  for (const auto& path : m_paths) {
    m_name = path == "-" ? "stdin" : path;
    auto reader = LineReader::open(path);
    std::string_view line;
    while (reader->next(line)) {
      if (stop_requested()) break;
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
      if (obj["kind"].get_string().get(kind_name)) {
        reject("no \"kind\"");
        continue;
      }
      RecordKind kind = record_kind_from(kind_name);
      if (kind == RecordKind::unknown) {
        reject("unknown kind \"" + std::string(kind_name) + "\"");
        continue;
      }
      if (kind != RecordKind::reading && kind != RecordKind::alarm && kind != RecordKind::status &&
          !(m_writes && kind == RecordKind::write)) {
        ++m_skipped;
        continue;
      }
      ++m_records;
      fn(Record{obj, kind, line});
    }
    if (stop_requested()) break;
  }
  progress.finish();
  if (m_skipped > 0) log::info("skipped {} records of kinds that are not exported", m_skipped);
  if (m_bad > 0) log::warn("{} bad input lines skipped", m_bad);
}

} // namespace iot::exporter
