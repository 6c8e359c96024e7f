#include "iot/export/store_sql.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace iot::exporter::sql {

namespace {

constexpr Column text(const char* name, std::string_view Row::*field) { return {name, Cell::text, field}; }
constexpr Column optional(const char* name, bool Row::*has, std::int64_t Row::*field) {
  return {.name = name, .cell = Cell::integer, .has = has, .integer = field};
}
constexpr Column optional(const char* name, bool Row::*has, double Row::*field) {
  return {.name = name, .cell = Cell::real, .has = has, .real = field};
}
constexpr Column optional(const char* name, bool Row::*has, bool Row::*field) {
  return {.name = name, .cell = Cell::boolean, .has = has, .boolean = field};
}
constexpr Column value(const char* name, ValueTag tag) { return {.name = name, .cell = Cell::value, .tag = tag}; }

// Every column of docs/storage.md, once.
constexpr Column k_columns[] = {
    {"ts", Cell::ts},
    text("device", &Row::device),
    text("point", &Row::point),
    text("port", &Row::port),
    text("addr", &Row::addr),
    text("state", &Row::state),
    text("level", &Row::level),
    text("type", &Row::type),
    text("reason", &Row::reason),
    text("raw", &Row::raw),
    text("uom", &Row::uom),
    text("quality", &Row::quality),
    text("error", &Row::error),
    text("alarm", &Row::alarm),
    text("extra", &Row::extra),
    optional("unit", &Row::has_unit, &Row::unit),
    optional("fc", &Row::has_fc, &Row::fc),
    optional("limit_value", &Row::has_limit, &Row::limit),
    optional("ok", &Row::has_ok, &Row::ok),
    optional("latency_ms", &Row::has_latency, &Row::latency_ms),
    value("value_num", ValueTag::number),
    value("value_bool", ValueTag::boolean),
    value("value_text", ValueTag::string),
};

// The names of a column list ("ts, device, point").
std::vector<std::string_view> split_names(std::string_view list) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    auto comma = list.find(", ");
    out.push_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 2);
  }
  return out;
}

const Column* column_named(std::string_view name) {
  for (const Column& c : k_columns)
    if (name == c.name) return &c;
  // The tables below name only columns of k_columns (the store unit tests open every table).
  std::abort();
}

Table table(const char* name, RecordKind kind, const char* columns, const char* key, const char* order,
            ValueTag no_value) {
  Table t{name, kind, columns, key, order, no_value, {}, {}};
  const std::vector<std::string_view> keys = split_names(key);
  for (std::string_view n : split_names(columns))
    t.columns.push_back({column_named(n), std::find(keys.begin(), keys.end(), n) != keys.end()});
  for (std::string_view n : keys)
    t.key.push_back(column_named(n));
  return t;
}

} // namespace

// The tables of docs/storage.md (their CREATE TABLE statements are in each store).
const std::array<Table, k_table_count> k_tables = {
    table("readings", RecordKind::reading,
          "ts, device, point, port, unit, addr, value_num, value_bool, value_text, raw, uom, quality, error, alarm, "
          "extra",
          // The port leads the key, as in the UNIQUE constraint since schema version 2.
          "ts, port, device, point", "ts, device, point, port",
          ValueTag::null), // a reading stores a null value as its three value columns NULL (to_row)
    table("alarms", RecordKind::alarm, "ts, device, point, state, level, type, value_num, limit_value, uom, extra",
          "ts, device, point, state", "ts, device, point, state", ValueTag::absent),
    table("status", RecordKind::status, "ts, port, device, state, unit, reason, extra", "ts, port, device, state",
          "ts, port, device, state", ValueTag::absent),
    table("writes", RecordKind::write,
          "ts, port, device, point, addr, unit, fc, value_num, value_bool, value_text, raw, ok, quality, error, "
          "latency_ms, extra",
          "ts, port, device, point, addr", "ts, port, device, point, addr", ValueTag::absent),
};

const Operands k_placeholders = {"?1", "?2", "?3", "?4"};

int table_index(RecordKind k) {
  switch (k) {
  case RecordKind::reading: return 0;
  case RecordKind::alarm: return 1;
  case RecordKind::status: return k_status;
  default: return k_writes;
  }
}

std::string column_list(int t, std::string_view ts_select) {
  std::string out;
  for (const TableColumn& c : k_tables[t].columns) {
    if (!out.empty()) out += ", ";
    out += c.column->cell == Cell::ts ? ts_select : c.column->name;
  }
  return out;
}

namespace {

// Whether a query with filter `f` reads table `t` (status records have no point).
bool selects(int t, const QueryFilter& f) {
  if (f.kind && table_index(*f.kind) != t) return false;
  return t != k_status || f.point.empty();
}

// " WHERE ts >= … AND ts < … AND device = … AND point = …" for what `f` sets;
// empty when it sets nothing.
std::string where_clause(const QueryFilter& f, const Operands& sql) {
  std::string where;
  auto cond = [&where](std::string_view column_op, const std::string& operand) {
    where += where.empty() ? " WHERE " : " AND ";
    where += column_op;
    where += operand;
  };
  if (f.from_ms) cond("ts >= ", sql.from);
  if (f.to_ms) cond("ts < ", sql.to);
  if (!f.device.empty()) cond("device = ", sql.device);
  if (!f.point.empty()) cond("point = ", sql.point);
  return where;
}

// The counts `rows_of(t)` gives for each table, in table order.
StoreCounts per_table(const std::function<std::size_t(int t)>& rows_of) {
  StoreCounts c;
  std::size_t* out[k_table_count] = {&c.readings, &c.alarms, &c.status, &c.writes};
  for (int t = 0; t < k_table_count; ++t)
    *out[t] = rows_of(t);
  return c;
}

void read_all(RowCursor& cursor, const std::function<void(const Row&)>& fn) {
  Row row;
  while (cursor.next(row))
    fn(row);
}

} // namespace

void TableStore::query(const QueryFilter& f, const std::function<void(const Row&)>& fn) {
  flush();
  if (!m_dialect.begin_read.empty()) command(std::string(m_dialect.begin_read));
  // A cursor per table, each in time order, merged in time order (ties: in table order).
  struct Stream {
    std::unique_ptr<RowCursor> cursor;
    Row row;
    bool has = false;
  };
  std::vector<Stream> streams;
  const Operands sql = operands(f);
  for (int t = 0; t < k_table_count; ++t) {
    if (!m_present.has(t) || !selects(t, f)) continue;
    Stream& s = streams.emplace_back();
    s.cursor = open_cursor(t,
                           "SELECT " + column_list(t, m_dialect.ts_select) + " FROM " + k_tables[t].name +
                               where_clause(f, sql) + " ORDER BY " + k_tables[t].order,
                           f);
    s.has = s.cursor->next(s.row);
  }
  for (;;) {
    Stream* best = nullptr;
    for (Stream& s : streams)
      if (s.has && (best == nullptr || s.row.ts_ms < best->row.ts_ms)) best = &s;
    if (best == nullptr) break;
    fn(best->row);
    best->has = best->cursor->next(best->row);
  }
  streams.clear();
  if (!m_dialect.begin_read.empty()) command("COMMIT");
}

void TableStore::query_open_alarms(std::int64_t at_ms, const QueryFilter& f,
                                   const std::function<void(const Row&)>& fn) {
  flush();
  // Per point, the rows before `at_ms` after its last "cleared" before `at_ms`.
  QueryFilter open_at;
  open_at.to_ms = at_ms;
  open_at.device = f.device;
  open_at.point = f.point;
  const Operands sql = operands(open_at);
  const int t = table_index(RecordKind::alarm);
  if (!m_dialect.begin_read.empty()) command(std::string(m_dialect.begin_read));
  read_all(*open_cursor(t,
                        "SELECT " + column_list(t, m_dialect.ts_select) + " FROM alarms AS a" +
                            where_clause(open_at, sql) +
                            " AND ts > coalesce((SELECT max(c.ts) FROM alarms AS c WHERE c.device = a.device"
                            " AND c.point = a.point AND c.state = 'cleared' AND c.ts < " +
                            sql.to + "), " + std::string(m_dialect.min_ts) + ") ORDER BY " + k_tables[t].order,
                        open_at),
           fn);
  if (!m_dialect.begin_read.empty()) command("COMMIT");
}

StoreCounts TableStore::prune(std::optional<std::int64_t> from_ms, std::optional<std::int64_t> to_ms) {
  QueryFilter range;
  range.from_ms = from_ms;
  range.to_ms = to_ms;
  const Operands sql = operands(range);
  return delete_in_each_table(
      range, [&](int t) { return std::string("DELETE FROM ") + k_tables[t].name + where_clause(range, sql); });
}

StoreCounts TableStore::cap(std::size_t max_rows) {
  return delete_in_each_table({}, [&](int t) {
    const std::string keys = k_tables[t].key_names;
    return std::string("DELETE FROM ") + k_tables[t].name + " WHERE (" + keys + ") IN (SELECT " + keys + " FROM " +
           k_tables[t].name + " ORDER BY ts DESC " + std::string(m_dialect.skip_rows) + std::to_string(max_rows) + ")";
  });
}

StoreCounts TableStore::count() {
  flush();
  return per_table([&](int t) -> std::size_t {
    if (!m_present.has(t)) return 0;
    return count_rows(std::string("SELECT count(*) FROM ") + k_tables[t].name);
  });
}

StoreCounts TableStore::delete_in_each_table(const QueryFilter& f, const std::function<std::string(int t)>& statement) {
  flush();
  command(std::string(m_dialect.begin_write));
  StoreCounts c = per_table([&](int t) { return execute(statement(t), f); });
  command("COMMIT");
  return c;
}

} // namespace iot::exporter::sql
