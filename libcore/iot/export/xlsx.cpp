#include "iot/export/xlsx.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/export/row.hpp"

namespace iot::exporter {

namespace {

constexpr lxw_row_t k_max_rows = 1048576; // Excel's limit per sheet (ECMA-376 / Excel specifications)
constexpr std::size_t k_max_cell = 32767; // characters per cell (same source; libxlsxwriter's LXW_STR_MAX)

// The first `limit` UTF-8 characters of `s` (the input is valid UTF-8).
std::string_view cut_utf8(std::string_view s, std::size_t limit, std::size_t& chars) {
  chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) continue; // continuation byte
    if (chars == limit) return s.substr(0, i);
    ++chars;
  }
  return s;
}

struct Column {
  const char* name;
  double width;
};

// The columns of each sheet: the record fields in the order of docs/record-format.md,
// then "extra" holding any other fields as JSON.
const std::vector<Column> k_reading_columns = {
    {"ts", 23},  {"device", 14}, {"point", 14}, {"value", 12}, {"uom", 8},   {"quality", 9}, {"port", 10},
    {"unit", 6}, {"addr", 9},    {"raw", 16},   {"error", 24}, {"alarm", 7}, {"extra", 20}};
const std::vector<Column> k_alarm_columns = {{"ts", 23},  {"device", 14}, {"point", 14}, {"state", 9}, {"level", 7},
                                             {"type", 6}, {"value", 12},  {"limit", 10}, {"uom", 8},   {"extra", 20}};
const std::vector<Column> k_status_columns = {{"ts", 23},    {"port", 10},   {"unit", 6},  {"device", 14},
                                              {"state", 12}, {"reason", 36}, {"extra", 20}};
const std::vector<Column> k_write_columns = {
    {"ts", 23},  {"device", 14}, {"point", 14}, {"value", 12}, {"ok", 6},     {"quality", 9},     {"port", 10},
    {"unit", 6}, {"addr", 9},    {"fc", 5},     {"raw", 16},   {"error", 24}, {"latency_ms", 11}, {"extra", 20}};

class Sheet {
public:
  std::size_t cuts = 0; // cells cut to k_max_cell

  Sheet(lxw_workbook* wb, std::string name, const std::vector<Column>& columns, lxw_format* header, lxw_format* time,
        RecordInput& input)
      : m_wb(wb), m_name(std::move(name)), m_columns(columns), m_header(header), m_time(time), m_input(input) {
    for (const Column& c : m_columns)
      m_fields.push_back(row_field(c.name)); // "extra" is no record field: RowField::other
    open();
  }

  // Writes `r` as the next row, a cell per column.
  void add(const Row& r) {
    next_row();
    for (std::size_t col = 0; col < m_columns.size(); ++col)
      cell(static_cast<lxw_col_t>(col), m_fields[col], r);
  }

  // Starts a new row (continuing on a new sheet when this one is full).
  lxw_row_t next_row() {
    if (m_row + 1 >= k_max_rows) {
      close();
      ++m_part;
      open();
    }
    return ++m_row;
  }

  void time(lxw_col_t col, std::int64_t ms) { check(worksheet_write_number(m_ws, m_row, col, excel_time(ms), m_time)); }
  void number(lxw_col_t col, double v) { check(worksheet_write_number(m_ws, m_row, col, v, nullptr)); }
  void boolean(lxw_col_t col, bool v) { check(worksheet_write_boolean(m_ws, m_row, col, v ? 1 : 0, nullptr)); }
  void text(lxw_col_t col, std::string_view v) {
    if (v.empty()) return;
    if (v.size() > k_max_cell) {
      // Excel refuses longer cells: cut (with a warning) rather than abort the workbook.
      std::size_t chars = 0;
      std::string_view cut = cut_utf8(v, k_max_cell, chars);
      if (cut.size() < v.size()) {
        ++cuts;
        if (cuts <= 100)
          log::warn("{}:{}: {} \"{}\" is longer than Excel's {} characters per cell; cut", m_input.name(),
                    m_input.line(), m_name, m_columns[col].name, k_max_cell);
        v = cut;
      }
    }
    m_scratch.assign(v); // libxlsxwriter wants NUL-terminated strings
    check(worksheet_write_string(m_ws, m_row, col, m_scratch.c_str(), nullptr));
  }

  // The cell of field `f` of `r` in column `col`; nothing when the row has no such field.
  void cell(lxw_col_t col, RowField f, const Row& r) {
    switch (f) {
    case RowField::ts: time(col, r.ts_ms); break;
    case RowField::value:
      if (r.value_tag == ValueTag::number)
        number(col, r.value_num);
      else if (r.value_tag == ValueTag::boolean)
        boolean(col, r.value_bool);
      else if (r.value_tag == ValueTag::string)
        text(col, r.value_text);
      break;
    case RowField::unit:
      if (r.has_unit) number(col, static_cast<double>(r.unit));
      break;
    case RowField::fc:
      if (r.has_fc) number(col, static_cast<double>(r.fc));
      break;
    case RowField::limit:
      if (r.has_limit) number(col, r.limit);
      break;
    case RowField::latency_ms:
      if (r.has_latency) number(col, r.latency_ms);
      break;
    case RowField::ok:
      if (r.has_ok) boolean(col, r.ok);
      break;
    case RowField::raw: text(col, r.raw); break;
    case RowField::other: text(col, r.extra); break; // the "extra" column
    default:
      if (auto member = text_member(f)) text(col, r.*member);
      break;
    }
  }

  void close() {
    auto last_col = static_cast<lxw_col_t>(m_columns.size() - 1);
    worksheet_autofilter(m_ws, 0, 0, m_row, last_col);
  }

private:
  void open() {
    std::string name = m_part == 1 ? m_name : m_name + " " + std::to_string(m_part);
    m_ws = workbook_add_worksheet(m_wb, name.c_str());
    if (m_ws == nullptr) throw internal_error("cannot add worksheet " + name);
    m_row = 0;
    for (lxw_col_t c = 0; c < m_columns.size(); ++c) {
      worksheet_set_column(m_ws, c, c, m_columns[c].width, nullptr);
      check(worksheet_write_string(m_ws, 0, c, m_columns[c].name, m_header));
    }
    worksheet_freeze_panes(m_ws, 1, 0);
  }

  static Error internal_error(const std::string& m) { return {ErrorKind::internal, m}; }
  void check(lxw_error e) {
    if (e != LXW_NO_ERROR) throw io_error(std::string("xlsx: ") + lxw_strerror(e));
  }

  lxw_workbook* m_wb;
  std::string m_name;
  const std::vector<Column>& m_columns;
  std::vector<RowField> m_fields; // of each column
  lxw_format* m_header;
  lxw_format* m_time;
  RecordInput& m_input;
  lxw_worksheet* m_ws = nullptr;
  lxw_row_t m_row = 0;
  int m_part = 1;
  std::string m_scratch;
};

void copy_to_stdout(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw errno_error("cannot read " + path);
  char buf[1 << 16];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(1, buf + off, static_cast<std::size_t>(n - off));
      if (w < 0) {
        ::close(fd);
        throw errno_error("cannot write the workbook to stdout");
      }
      off += w;
    }
  }
  ::close(fd);
}

} // namespace

ExitCode export_xlsx(RecordInput& input, const std::string& path) {
  std::string target = path;
  std::string temp;
  if (path == "-") {
    // libxlsxwriter writes a seekable file (a zip); stdout gets a copy of it.
    const char* dir = std::getenv("TMPDIR");
    temp = std::string(dir && *dir ? dir : "/tmp") + "/iot-export-XXXXXX";
    int fd = ::mkstemp(temp.data());
    if (fd < 0) throw errno_error("cannot create a temporary file");
    ::close(fd);
    target = temp;
  }
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      if (!path.empty()) ::unlink(path.c_str());
    }
  } cleanup{temp};

  lxw_workbook_options options{};
  options.constant_memory = LXW_TRUE;
  options.use_zip64 = LXW_TRUE;
  lxw_workbook* wb = workbook_new_opt(target.c_str(), &options);
  if (wb == nullptr) throw io_error("cannot create " + path);
  lxw_format* header = workbook_add_format(wb);
  format_set_bold(header);
  format_set_bottom(header, LXW_BORDER_THIN);
  lxw_format* time = workbook_add_format(wb);
  format_set_num_format(time, "yyyy-mm-dd hh:mm:ss.000");

  ExitCode code;
  try {
    input.accept(RecordKind::write);
    Sheet readings(wb, "readings", k_reading_columns, header, time, input);
    Sheet alarms(wb, "alarms", k_alarm_columns, header, time, input);
    Sheet status(wb, "status", k_status_columns, header, time, input);
    Sheet writes(wb, "writes", k_write_columns, header, time, input);
    Row r;
    std::string buffer;
    input.for_each([&](const Record& rec) {
      std::string why = to_row(rec.obj, r, buffer);
      if (!why.empty()) {
        input.reject(why);
        return;
      }
      switch (r.kind) {
      case RecordKind::reading: readings.add(r); break;
      case RecordKind::alarm: alarms.add(r); break;
      case RecordKind::write: writes.add(r); break;
      default: status.add(r); break;
      }
    });
    readings.close();
    alarms.close();
    status.close();
    writes.close();
    std::size_t cuts = readings.cuts + alarms.cuts + status.cuts + writes.cuts;
    if (cuts > 0) log::warn("{} cells were cut to {} characters", cuts, k_max_cell);
    code = input.exit_code();
  } catch (...) {
    workbook_close(wb);
    throw;
  }
  lxw_error e = workbook_close(wb);
  if (e != LXW_NO_ERROR) throw io_error("cannot write " + path + ": " + lxw_strerror(e));
  if (!temp.empty()) copy_to_stdout(temp);
  return code;
}

} // namespace iot::exporter
