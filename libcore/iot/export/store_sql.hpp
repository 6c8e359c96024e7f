#pragma once
// What the SQLite and PostgreSQL stores share (docs/storage.md): the four
// tables as data (columns, natural key, query order), the statements built
// from them, a row written or read column by column, and the time-ordered
// merge of the tables that query() returns. A store adds its dialect (how the
// time column is selected, how a filter's values are written: placeholders or
// literals) and its driver calls.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iot/export/row.hpp"
#include "iot/export/store.hpp"

namespace iot::exporter::sql {

// What a column holds. A store encodes each kind its own way; which row field
// goes to which column is decided here, once.
enum class Cell : std::uint8_t {
  ts,      // the time, epoch milliseconds; never NULL
  text,    // text: NULL when absent ('' when part of the natural key)
  integer, // an optional integer field: NULL when absent
  real,    // an optional number field: NULL when absent
  boolean, // an optional boolean field: NULL when absent
  value,   // one of the three value columns: the value when it has `tag`, else NULL
};

// A column of docs/storage.md and the row field it holds (the same in every
// table that has it).
struct Column {
  const char* name;
  Cell cell;
  std::string_view Row::*text = nullptr; // text
  bool Row::*has = nullptr;              // integer, real, boolean: whether the row has the field
  std::int64_t Row::*integer = nullptr;
  double Row::*real = nullptr;
  bool Row::*boolean = nullptr;
  ValueTag tag = ValueTag::absent; // value
};

struct TableColumn {
  const Column* column;
  bool key; // part of the natural key: a text is '' when absent, never NULL
};

struct Table {
  const char* name;
  RecordKind kind;
  const char* column_names;         // the columns, in the order of CREATE TABLE (ts first)
  const char* key_names;            // the natural key (UNIQUE / PRIMARY KEY)
  const char* order;                // how query() orders the rows of this table
  ValueTag no_value;                // a row's value when its value columns are all NULL
  std::vector<TableColumn> columns; // column_names, looked up
  std::vector<const Column*> key;   // key_names, looked up
};

constexpr int k_table_count = 4;
// readings, alarms, status, writes: the order of StoreCounts and of ties in query().
extern const std::array<Table, k_table_count> k_tables;
constexpr int k_status = 2, k_writes = 3;

int table_index(RecordKind k);

// The tables of a database opened read-only, which upgrades nothing: none of
// ours (schema version 0) or no writes table yet (version 1).
struct PresentTables {
  bool any = true;
  bool writes = true;
  static PresentTables at_version(int version) { return {version != 0, version >= 2}; }
  bool has(int t) const { return any && (t != k_writes || writes); }
};

// "ts, device, point, ...": the columns of table `t`, the time selected as `ts_select`.
std::string column_list(int t, std::string_view ts_select = "ts");

// A filter's values in SQL: placeholders a store binds (SQLite) or literals
// (PostgreSQL). Only those the filter sets are used.
struct Operands {
  std::string from, to, device, point;
};
// The SQLite parameter numbers of the placeholders below.
enum Param : int { param_from = 1, param_to = 2, param_device = 3, param_point = 4 };
extern const Operands k_placeholders; // ?1 .. ?4, numbered as Param

// Hands the columns of `r` to `out` in its table's order, each as one of
// out.null(), out.ts(ms), out.integer(v), out.real(v), out.boolean(b), out.text(v).
template <class Out> void put_row(const Row& r, Out& out) {
  for (const TableColumn& tc : k_tables[table_index(r.kind)].columns) {
    const Column& c = *tc.column;
    const bool present = c.has                   ? r.*c.has
                         : c.cell == Cell::value ? r.value_tag == c.tag
                         : c.cell == Cell::text  ? tc.key || !(r.*c.text).empty()
                                                 : true;
    if (!present) {
      out.null();
      continue;
    }
    switch (c.cell) {
    case Cell::ts: out.ts(r.ts_ms); break;
    case Cell::text: out.text(r.*c.text); break;
    case Cell::integer: out.integer(r.*c.integer); break;
    case Cell::real: out.real(r.*c.real); break;
    case Cell::boolean: out.boolean(r.*c.boolean); break;
    case Cell::value:
      if (c.tag == ValueTag::number)
        out.real(r.value_num);
      else if (c.tag == ValueTag::boolean)
        out.boolean(r.value_bool);
      else
        out.text(r.value_text);
      break;
    }
  }
}

// Reads a row of table `t` from the columns of `in` (selected as column_list(t)
// names them): in.is_null(i), in.integer(i), in.real(i), in.boolean(i), in.text(i)
// (empty for NULL).
template <class In> void get_row(int t, const In& in, Row& r) {
  const Table& table = k_tables[t];
  r.clear();
  r.kind = table.kind;
  r.value_tag = table.no_value;
  for (int i = 0; i < static_cast<int>(table.columns.size()); ++i) {
    const Column& c = *table.columns[static_cast<std::size_t>(i)].column;
    if (c.cell == Cell::text) {
      r.*c.text = in.text(i);
      continue;
    }
    if (in.is_null(i)) continue;
    if (c.has) r.*c.has = true;
    switch (c.cell) {
    case Cell::ts: r.ts_ms = in.integer(i); break;
    case Cell::integer: r.*c.integer = in.integer(i); break;
    case Cell::real: r.*c.real = in.real(i); break;
    case Cell::boolean: r.*c.boolean = in.boolean(i); break;
    case Cell::value:
      // At most one value column is set; should there be more, the first wins.
      if (r.value_tag != table.no_value) break;
      r.value_tag = c.tag;
      if (c.tag == ValueTag::number)
        r.value_num = in.real(i);
      else if (c.tag == ValueTag::boolean)
        r.value_bool = in.boolean(i);
      else
        r.value_text = in.text(i);
      break;
    case Cell::text: break; // read above
    }
  }
}

// The rows of one table's query, in its order.
class RowCursor {
public:
  virtual ~RowCursor() = default;
  // Reads the next row into `r`; false at the end.
  virtual bool next(Row& r) = 0;
};

// How a database writes what the stores share.
struct Dialect {
  std::string_view ts_select;   // the time column selected as epoch milliseconds
  std::string_view min_ts;      // a time before any stored one
  std::string_view skip_rows;   // followed by a count: skips that many rows of an ORDER BY
  std::string_view begin_write; // starts the transaction of a delete
  std::string_view begin_read;  // starts the transaction of a query ("": none needed)
};

// A store of the four tables in SQL: queries, deletes and counts, built once
// from the tables above and run through the few driver calls a store provides.
class TableStore : public Store {
public:
  void query(const QueryFilter& f, const std::function<void(const Row&)>& fn) final;
  void query_open_alarms(std::int64_t at_ms, const QueryFilter& f, const std::function<void(const Row&)>& fn) final;
  StoreCounts prune(std::optional<std::int64_t> from_ms, std::optional<std::int64_t> to_ms) final;
  StoreCounts cap(std::size_t max_rows) final;
  StoreCounts count() final;

protected:
  explicit TableStore(const Dialect& dialect) : m_dialect(dialect) {}

  // The values `f` sets, as the SQL of the statements: placeholders numbered as
  // k_placeholders (bound by the calls below) or literals.
  virtual Operands operands(const QueryFilter& f) = 0;
  // The rows of `select` on table `t`, the values of `f` bound (`f` outlives the cursor).
  virtual std::unique_ptr<RowCursor> open_cursor(int t, const std::string& select, const QueryFilter& f) = 0;
  // Runs `statement`, the values of `f` bound; returns the rows it changed.
  virtual std::size_t execute(const std::string& statement, const QueryFilter& f) = 0;
  // The number a SELECT count(*) gives.
  virtual std::size_t count_rows(const std::string& select) = 0;
  // Runs a statement that takes and gives nothing (BEGIN, COMMIT).
  virtual void command(const std::string& statement) = 0;

  PresentTables m_present; // set when a read-only open finds fewer tables

private:
  StoreCounts delete_in_each_table(const QueryFilter& f, const std::function<std::string(int t)>& statement);

  Dialect m_dialect;
};

} // namespace iot::exporter::sql
