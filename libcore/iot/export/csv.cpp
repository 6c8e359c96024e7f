#include "iot/export/csv.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/export/output_file.hpp"
#include "iot/export/row.hpp"
#include "iot/record/line_reader.hpp"
#include "iot/record/output.hpp"

namespace iot::exporter {

namespace {

// Writes `text` as one cell at `p` (room for 2 * size + 2 bytes); returns the end.
char* put_cell(char* p, std::string_view text, char sep, bool force_quote) {
  const char* b = text.data();
  const char* e = b + text.size();
  if (sep == '\t') {
    for (; b != e; ++b) {
      char c = *b;
      if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
        *p++ = '\\';
        *p++ = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
      } else {
        *p++ = c;
      }
    }
    return p;
  }
  // Bytes that force quoting (RFC 4180 §2.6): the separator, '"', CR, LF.
  struct Special {
    bool table[2][256] = {}; // [0]: separator ',', [1]: any other separator
    Special() {
      for (auto* t : {table[0], table[1]})
        t[static_cast<unsigned char>('"')] = t[static_cast<unsigned char>('\n')] = t[static_cast<unsigned char>('\r')] =
            true;
      table[0][static_cast<unsigned char>(',')] = true;
    }
  };
  static const Special k_special;
  const bool* special = k_special.table[sep == ',' ? 0 : 1];
  bool quote = force_quote;
  for (const char* q = b; !quote && q != e; ++q)
    quote = special[static_cast<unsigned char>(*q)] || *q == sep;
  if (!quote) {
    std::memcpy(p, b, text.size());
    return p + text.size();
  }
  *p++ = '"';
  for (; b != e; ++b) {
    if (*b == '"') *p++ = '"';
    *p++ = *b;
  }
  *p++ = '"';
  return p;
}

} // namespace

void append_cell(std::string& out, std::string_view text, char sep, bool force_quote) {
  std::size_t old = out.size();
  out.resize(old + 2 * text.size() + 2);
  char* end = put_cell(out.data() + old, text, sep, force_quote);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

namespace {

// One output file with its columns.
class Table {
public:
  Table(const std::string& path, const CsvOptions& o) : m_out(path), m_opt(o), m_columns(o.fields) {
    m_fixed = !m_columns.empty();
    if (m_fixed) write_header();
  }

  void add(const Record& r, std::size_t line_number) {
    if (m_fixed) {
      write(r.obj, line_number, r.line.size());
      return;
    }
    // Hold the record back until the columns are known.
    for (auto field : r.obj)
      learn(field.key);
    if (m_opt.scan == 0) {
      spool(r.line, line_number);
      return;
    }
    m_pending.emplace_back(r.line);
    m_pending_lines.push_back(line_number);
    if (m_pending.size() >= m_opt.scan) fix();
  }

  void finish() {
    if (!m_fixed) fix();
    m_out.sink().flush();
  }

  // Fields met after the header was written (left out of the output).
  const std::vector<std::string>& dropped() const { return m_dropped; }

private:
  void learn(std::string_view key) {
    for (const auto& c : m_columns)
      if (c == key) return;
    m_columns.emplace_back(key);
  }

  // --scan 0: every record is looked at before the header is written, so the
  // records wait in an unlinked temporary file ("LINE<TAB>JSON" lines), not in memory.
  void spool(std::string_view line, std::size_t line_number) {
    if (!m_spool) {
      m_spool.reset(std::tmpfile());
      if (!m_spool) throw errno_error("cannot create a temporary file for --scan 0");
    }
    if (std::fprintf(m_spool.get(), "%zu\t", line_number) < 0 ||
        std::fwrite(line.data(), 1, line.size(), m_spool.get()) != line.size() ||
        std::fputc('\n', m_spool.get()) == EOF)
      throw errno_error("cannot write the temporary file for --scan 0");
  }

  void fix() {
    m_fixed = true;
    write_header();
    RecordParser parser;
    for (std::size_t i = 0; i < m_pending.size(); ++i)
      write(parser.parse_copy(m_pending[i], m_pending_lines[i]), m_pending_lines[i], m_pending[i].size());
    m_pending.clear();
    m_pending.shrink_to_fit();
    m_pending_lines.clear();
    if (m_spool) {
      if (std::fflush(m_spool.get()) != 0) throw errno_error("cannot write the temporary file for --scan 0");
      int fd = ::fileno(m_spool.get());
      if (::lseek(fd, 0, SEEK_SET) < 0) throw errno_error("cannot read the temporary file for --scan 0");
      LineReader reader(fd);
      std::string_view line;
      while (reader.next(line)) {
        std::size_t number = 0;
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), number);
        std::string_view json = line.substr(static_cast<std::size_t>(end - line.data()) + 1);
        write(parser.parse(json, number), number, json.size()); // the padding after the line still follows
      }
      m_spool.reset();
    }
  }

  void write_header() {
    m_ts_column = std::string::npos;
    for (std::size_t i = 0; i < m_columns.size(); ++i)
      if (m_columns[i] == "ts") m_ts_column = i;
    m_cells.resize(m_columns.size());
    m_present.resize(m_columns.size());
    if (!m_opt.header || m_columns.empty()) return;
    std::string& out = m_out.sink().begin_line();
    for (std::size_t i = 0; i < m_columns.size(); ++i) {
      if (i > 0) out.push_back(m_opt.separator);
      append_cell(out, m_columns[i], m_opt.separator);
    }
    end_line(out);
  }

  void end_line(std::string& out) {
    if (m_opt.crlf) out.push_back('\r');
    m_out.sink().end_line();
  }

  std::size_t column_of(std::string_view key, std::size_t hint) const {
    // Records of one kind usually list their fields in the same order: try the hint first.
    if (hint < m_columns.size() && m_columns[hint] == key) return hint;
    for (std::size_t i = 0; i < m_columns.size(); ++i)
      if (m_columns[i] == key) return i;
    return std::string::npos;
  }

  void write(simdjson::dom::object obj, std::size_t line_number, std::size_t line_size) {
    std::fill(m_present.begin(), m_present.end(), std::uint8_t{0});
    std::size_t hint = 0;
    for (auto field : obj) {
      std::size_t col = column_of(field.key, hint);
      if (col == std::string::npos) {
        warn_dropped(field.key, line_number);
        ++hint;
        continue;
      }
      m_cells[col] = field.value;
      m_present[col] = 1;
      hint = col + 1;
    }
    using T = simdjson::dom::element_type;
    // The line is built in m_line, sized once for the worst case (every byte
    // escaped, every number spelled out), then copied to the sink: no zero-fill
    // or reallocation per row.
    std::string& out = m_line;
    std::size_t need = 2 * line_size + 40 * m_columns.size() + 8;
    if (out.size() < need) out.resize(need);
    char* p = out.data();
    for (std::size_t i = 0; i < m_columns.size(); ++i) {
      if (i > 0) *p++ = m_opt.separator;
      if (!m_present[i]) continue;
      auto e = m_cells[i];
      switch (e.type()) {
      case T::STRING:
        if (i == m_ts_column && !m_opt.zone.is_utc()) {
          if (auto t = parse_ts(e.get_string().value_unsafe())) {
            std::string local = m_opt.zone.rfc3339(epoch_ms(*t));
            p = std::copy(local.begin(), local.end(), p); // no byte of it needs quoting
            break;
          }
        }
        p = put_cell(p, e.get_string().value_unsafe(), m_opt.separator, false);
        break;
      case T::NULL_VALUE: break;
      case T::INT64: p = std::to_chars(p, p + 24, e.get_int64().value_unsafe()).ptr; break;
      case T::UINT64: p = std::to_chars(p, p + 24, e.get_uint64().value_unsafe()).ptr; break;
      case T::BOOL:
        if (e.get_bool().value_unsafe())
          p = std::copy_n("true", 4, p);
        else
          p = std::copy_n("false", 5, p);
        break;
      case T::DOUBLE: {
        m_scratch.clear();
        append_number(m_scratch, e.get_double().value_unsafe());
        p = std::copy(m_scratch.begin(), m_scratch.end(), p);
        break;
      }
      case T::ARRAY:
      case T::OBJECT:
        m_scratch.clear();
        append_json(m_scratch, e);
        // Compact JSON is never longer than the line it came from, but grow to be safe.
        if (static_cast<std::size_t>(p - out.data()) + 2 * m_scratch.size() + 40 * m_columns.size() > out.size()) {
          std::size_t at = static_cast<std::size_t>(p - out.data());
          out.resize(out.size() + 2 * m_scratch.size() + 40 * m_columns.size());
          p = out.data() + at;
        }
        p = put_cell(p, m_scratch, m_opt.separator, false);
        break;
      }
    }
    if (m_opt.crlf) *p++ = '\r';
    m_out.sink().write_line(std::string_view(out.data(), static_cast<std::size_t>(p - out.data())));
  }

  void warn_dropped(std::string_view key, std::size_t line_number) {
    if (!m_opt.fields.empty()) return; // the user chose the columns
    for (const auto& k : m_dropped)
      if (k == key) return;
    m_dropped.emplace_back(key);
    log::warn("line {}: field \"{}\" is not in the header (chosen from the first {} records) and is left out",
              line_number, key, m_opt.scan);
  }

  OutputLines m_out;
  const CsvOptions& m_opt;
  std::vector<std::string> m_columns;
  std::size_t m_ts_column = std::string::npos;
  bool m_fixed = false;
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, FileCloser> m_spool;
  std::vector<std::string> m_pending;
  std::vector<std::size_t> m_pending_lines;
  std::vector<simdjson::dom::element> m_cells;
  std::vector<std::uint8_t> m_present;
  std::vector<std::string> m_dropped;
  std::string m_scratch;
  std::string m_line;
};

} // namespace

ExitCode export_csv(RecordInput& input, const CsvOptions& options) {
  Table main(options.output, options);
  std::unique_ptr<Table> alarms, status;
  if (!options.alarms_output.empty()) alarms = std::make_unique<Table>(options.alarms_output, options);
  if (!options.status_output.empty()) status = std::make_unique<Table>(options.status_output, options);
  input.accept(RecordKind::write);
  input.for_each([&](const Record& r) {
    Table* t = &main;
    if (r.kind == RecordKind::alarm && alarms) t = alarms.get();
    if (r.kind == RecordKind::status && status) t = status.get();
    t->add(r, input.line());
  });
  main.finish();
  if (alarms) alarms->finish();
  if (status) status->finish();
  // A field left out is data lost: say so, and fail, rather than exit 0.
  std::vector<std::string> dropped;
  for (Table* t : {&main, alarms.get(), status.get()})
    if (t) dropped.insert(dropped.end(), t->dropped().begin(), t->dropped().end());
  if (!dropped.empty()) {
    std::string list;
    for (const auto& d : dropped)
      list += (list.empty() ? "" : ", ") + d;
    log::error("fields first seen after the first {} records were left out: {}; rerun with --scan 0 (every record "
               "is looked at first) or name the columns with --fields",
               options.scan, list);
    return ExitCode::data_lost;
  }
  return input.exit_code();
}

} // namespace iot::exporter
