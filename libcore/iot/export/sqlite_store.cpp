// The SQLite store (docs/storage.md): one file, WAL journal, a prepared
// INSERT OR IGNORE per table, `batch` rows per transaction.
#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

#include <array>
#include <charconv>
#include <vector>

#include <cstdio>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/export/store.hpp"

namespace iot::exporter {

namespace {

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS readings (
  ts INTEGER NOT NULL,          -- milliseconds since 1970-01-01T00:00:00Z
  device TEXT NOT NULL,
  point TEXT NOT NULL,
  port TEXT NOT NULL DEFAULT '', unit INTEGER, addr TEXT,
  value_num REAL, value_bool INTEGER, value_text TEXT,
  raw TEXT, uom TEXT, quality TEXT, error TEXT, alarm TEXT,
  extra TEXT,
  PRIMARY KEY (ts, port, device, point)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS readings_device_point_ts ON readings (device, point, ts);
CREATE TABLE IF NOT EXISTS alarms (
  ts INTEGER NOT NULL,
  device TEXT NOT NULL,
  point TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT '',
  level TEXT, type TEXT, value_num REAL, limit_value REAL, uom TEXT,
  extra TEXT,
  PRIMARY KEY (ts, device, point, state)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alarms_device_point_ts ON alarms (device, point, ts);
CREATE TABLE IF NOT EXISTS status (
  ts INTEGER NOT NULL,
  port TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  unit INTEGER, reason TEXT,
  extra TEXT,
  PRIMARY KEY (ts, port, device, state)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS status_device_ts ON status (device, ts);
CREATE TABLE IF NOT EXISTS writes (
  ts INTEGER NOT NULL,
  port TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL DEFAULT '',
  point TEXT NOT NULL DEFAULT '',
  addr TEXT NOT NULL DEFAULT '',
  unit INTEGER, fc INTEGER,
  value_num REAL, value_bool INTEGER, value_text TEXT,
  raw TEXT, ok INTEGER, quality TEXT, error TEXT, latency_ms REAL,
  extra TEXT,
  PRIMARY KEY (ts, port, device, point, addr)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS writes_device_ts ON writes (device, ts);
PRAGMA user_version = 2;
)sql";

// Version 1 (before writes and the port in the readings key): readings is
// rebuilt with its new key; the other tables are unchanged.
constexpr const char* k_migrate_v1 = R"sql(
ALTER TABLE readings RENAME TO readings_v1;
DROP INDEX IF EXISTS readings_device_point_ts;
)sql";
constexpr const char* k_migrate_v1_copy = R"sql(
INSERT INTO readings SELECT ts, device, point, coalesce(port, ''), unit, addr, value_num, value_bool, value_text,
  raw, uom, quality, error, alarm, extra FROM readings_v1;
DROP TABLE readings_v1;
)sql";

constexpr const char* k_insert[] = {
    ("INSERT OR IGNORE INTO readings (ts, device, point, port, unit, addr, value_num, value_bool, value_text, raw, "
     "uom, quality, error, alarm, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
    ("INSERT OR IGNORE INTO alarms (ts, device, point, state, level, type, value_num, limit_value, uom, extra) "
     "VALUES (?,?,?,?,?,?,?,?,?,?)"),
    "INSERT OR IGNORE INTO status (ts, port, device, state, unit, reason, extra) VALUES (?,?,?,?,?,?,?)",
    ("INSERT OR IGNORE INTO writes (ts, port, device, point, addr, unit, fc, value_num, value_bool, value_text, raw, "
     "ok, quality, error, latency_ms, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
};

constexpr const char* k_select[] = {
    ("SELECT ts, device, point, port, unit, addr, value_num, value_bool, value_text, raw, uom, quality, error, "
     "alarm, extra FROM readings"),
    "SELECT ts, device, point, state, level, type, value_num, limit_value, uom, extra FROM alarms",
    "SELECT ts, port, device, state, unit, reason, extra FROM status",
    ("SELECT ts, port, device, point, addr, unit, fc, value_num, value_bool, value_text, raw, ok, quality, error, "
     "latency_ms, extra FROM writes"),
};
constexpr int k_table_count = 4;
constexpr const char* k_tables[] = {"readings", "alarms", "status", "writes"};
constexpr const char* k_keys[] = {"ts, port, device, point", "ts, device, point, state", "ts, port, device, state",
                                  "ts, port, device, point, addr"};
constexpr const char* k_order[] = {" ORDER BY ts, device, point, port", " ORDER BY ts, device, point, state",
                                   " ORDER BY ts, port, device, state", " ORDER BY ts, port, device, point, addr"};

constexpr int k_columns[] = {15, 10, 7, 16}; // parameters per row of each INSERT above
constexpr std::size_t k_rows_per_insert = 32;

int table_index(RecordKind k) {
  switch (k) {
  case RecordKind::reading: return 0;
  case RecordKind::alarm: return 1;
  case RecordKind::status: return 2;
  default: return 3;
  }
}

class Stmt {
public:
  Stmt(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr) != SQLITE_OK)
      throw io_error(std::string("sqlite: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(m_stmt); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return m_stmt; }

private:
  sqlite3_stmt* m_stmt = nullptr;
};

class SqliteStore final : public Store {
public:
  SqliteStore(const std::string& path, std::size_t batch, OpenMode mode)
      : m_batch(batch), m_read_only(mode == OpenMode::read_only) {
    // A constructor that throws runs no destructor: close the handle here.
    try {
      init(path, mode);
    } catch (...) {
      sqlite3_close_v2(m_db);
      m_db = nullptr;
      throw;
    }
  }

  ~SqliteStore() override {
    m_groups = {};
    if (m_in_txn) sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close_v2(m_db);
  }

  void add(const Row& in) override {
    if (m_read_only) throw io_error("sqlite: the database was opened read-only");
    int t = table_index(in.kind);
    if (!m_in_txn) {
      exec("BEGIN IMMEDIATE");
      m_in_txn = true;
    }
    // Rows are bound into a multi-row INSERT (k_rows_per_insert rows): one
    // statement step per group instead of per row. The text is copied into a
    // per-slot buffer that stays put until the statement has run.
    Group& g = m_groups[t];
    if (!g.multi) {
      g.multi = std::make_unique<Stmt>(m_db, insert_sql(t, k_rows_per_insert));
      g.slots.resize(k_rows_per_insert);
    }
    Row& r = g.slots[g.count].row;
    r = in;
    stabilize(r, g.slots[g.count].text);
    bind(g.multi->get(), k_columns[t] * g.count + 1, r);
    if (++g.count == k_rows_per_insert) run_group(t, g.multi->get());
    if (++m_pending >= m_batch) flush();
  }

  void flush() override {
    if (!m_in_txn) return;
    for (int t = 0; t < k_table_count; ++t) {
      Group& g = m_groups[t];
      if (g.count == 0) continue;
      // The remainder goes one row at a time through a single-row statement.
      if (!g.single) g.single = std::make_unique<Stmt>(m_db, insert_sql(t, 1));
      for (std::size_t i = 0; i < g.count; ++i) {
        bind(g.single->get(), 1, g.slots[i].row);
        step_insert(g.single->get());
      }
      sqlite3_clear_bindings(g.multi->get());
      g.count = 0;
    }
    exec("COMMIT");
    m_in_txn = false;
    m_pending = 0;
  }

  std::size_t inserted() const override { return m_inserted; }

  void query(const QueryFilter& f, const std::function<void(const Row&)>& fn) override {
    flush();
    struct Cursor {
      std::unique_ptr<Stmt> stmt;
      bool has = false;
      Row row;
    };
    std::array<Cursor, k_table_count> cursors;
    for (int t = 0; t < k_table_count; ++t) {
      if (m_empty || (t == 3 && !m_has_writes)) continue;
      if (f.kind && table_index(*f.kind) != t) continue;
      if (t == 2 && !f.point.empty()) continue; // status records have no point
      std::string sql = k_select[t];
      std::string where;
      auto cond = [&](const char* c) {
        where += where.empty() ? " WHERE " : " AND ";
        where += c;
      };
      if (f.from_ms) cond("ts >= ?1");
      if (f.to_ms) cond("ts < ?2");
      if (!f.device.empty()) cond("device = ?3");
      if (!f.point.empty()) cond("point = ?4");
      sql += where;
      sql += k_order[t];
      cursors[t].stmt = std::make_unique<Stmt>(m_db, sql);
      sqlite3_stmt* s = cursors[t].stmt->get();
      if (f.from_ms) sqlite3_bind_int64(s, 1, *f.from_ms);
      if (f.to_ms) sqlite3_bind_int64(s, 2, *f.to_ms);
      if (!f.device.empty()) sqlite3_bind_text(s, 3, f.device.data(), static_cast<int>(f.device.size()), SQLITE_STATIC);
      if (!f.point.empty()) sqlite3_bind_text(s, 4, f.point.data(), static_cast<int>(f.point.size()), SQLITE_STATIC);
      cursors[t].has = step(s, t, cursors[t].row);
    }
    // Merge the time-ordered streams.
    for (;;) {
      int best = -1;
      for (int t = 0; t < k_table_count; ++t)
        if (cursors[t].has && (best < 0 || cursors[t].row.ts_ms < cursors[best].row.ts_ms)) best = t;
      if (best < 0) break;
      fn(cursors[best].row);
      cursors[best].has = step(cursors[best].stmt->get(), best, cursors[best].row);
    }
  }

  void query_open_alarms(std::int64_t at_ms, const QueryFilter& f,
                         const std::function<void(const Row&)>& fn) override {
    flush();
    std::string sql = std::string(k_select[1]) + " AS a WHERE ts < ?1";
    if (!f.device.empty()) sql += " AND device = ?3";
    if (!f.point.empty()) sql += " AND point = ?4";
    sql += " AND ts > coalesce((SELECT max(c.ts) FROM alarms AS c WHERE c.device = a.device AND c.point = a.point"
           " AND c.state = 'cleared' AND c.ts < ?1), -9223372036854775807)";
    sql += k_order[1];
    Stmt stmt(m_db, sql);
    sqlite3_stmt* s = stmt.get();
    sqlite3_bind_int64(s, 1, at_ms);
    if (!f.device.empty()) sqlite3_bind_text(s, 3, f.device.data(), static_cast<int>(f.device.size()), SQLITE_STATIC);
    if (!f.point.empty()) sqlite3_bind_text(s, 4, f.point.data(), static_cast<int>(f.point.size()), SQLITE_STATIC);
    Row row;
    while (step(s, 1, row))
      fn(row);
  }

  StoreCounts prune(std::optional<std::int64_t> from, std::optional<std::int64_t> to) override {
    flush();
    StoreCounts c;
    std::size_t* out[] = {&c.readings, &c.alarms, &c.status, &c.writes};
    exec("BEGIN IMMEDIATE");
    for (int t = 0; t < k_table_count; ++t) {
      std::string sql = std::string("DELETE FROM ") + k_tables[t] + " WHERE ts >= ?1 AND ts < ?2";
      Stmt s(m_db, sql);
      sqlite3_bind_int64(s.get(), 1, from.value_or(INT64_MIN));
      sqlite3_bind_int64(s.get(), 2, to.value_or(INT64_MAX));
      run(s.get());
      *out[t] = static_cast<std::size_t>(sqlite3_changes(m_db));
    }
    exec("COMMIT");
    return c;
  }

  StoreCounts cap(std::size_t max_rows) override {
    flush();
    StoreCounts c;
    std::size_t* out[] = {&c.readings, &c.alarms, &c.status, &c.writes};
    exec("BEGIN IMMEDIATE");
    for (int t = 0; t < k_table_count; ++t) {
      std::string sql = std::string("DELETE FROM ") + k_tables[t] + " WHERE (" + k_keys[t] + ") IN (SELECT " +
                        k_keys[t] + " FROM " + k_tables[t] + " ORDER BY ts DESC LIMIT -1 OFFSET ?1)";
      Stmt s(m_db, sql);
      sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(max_rows));
      run(s.get());
      *out[t] = static_cast<std::size_t>(sqlite3_changes(m_db));
    }
    exec("COMMIT");
    return c;
  }

  StoreCounts count() override {
    flush();
    StoreCounts c;
    std::size_t* out[] = {&c.readings, &c.alarms, &c.status, &c.writes};
    for (int t = 0; t < k_table_count; ++t) {
      if (m_empty || (t == 3 && !m_has_writes)) continue;
      Stmt s(m_db, std::string("SELECT count(*) FROM ") + k_tables[t]);
      if (sqlite3_step(s.get()) == SQLITE_ROW) *out[t] = static_cast<std::size_t>(sqlite3_column_int64(s.get(), 0));
    }
    return c;
  }

private:
  void init(const std::string& path, OpenMode mode) {
    // Memory statistics take a global mutex on every allocation; we do not use them.
    static const bool configured = [] { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; }();
    (void)configured;
    // A new database is 0600 (SQLite gives its -wal and -shm files the same mode): the
    // records are the user's data. An existing file keeps its mode.
    if (mode == OpenMode::create && path != ":memory:") {
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd >= 0) ::close(fd);
    }
    int flags = m_read_only ? SQLITE_OPEN_READONLY
                            : SQLITE_OPEN_READWRITE | (mode == OpenMode::create ? SQLITE_OPEN_CREATE : 0);
    open(path, flags | SQLITE_OPEN_NOMUTEX);
    int version = 0;
    if (m_read_only) {
      // A WAL database needs its -shm file; in a read-only directory where it
      // cannot be created, the file is read as immutable (nobody can be
      // writing it there) instead of failing.
      if (!try_user_version(version)) {
        std::string first = sqlite3_errmsg(m_db);
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        open("file:" + uri_path(path) + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX);
        if (!try_user_version(version)) throw io_error("cannot read " + path + ": " + first);
        log::info("{}: read as immutable ({})", path, first);
      }
      check_version(path, version);
      if (version == 1) {
        m_has_writes = false;
        log::warn("{}: schema version 1 (readings not keyed by port, no writes table); the next iot-export "
                  "sqlite or prune on it upgrades it to version {}",
                  path, k_schema_version);
      } else if (version == 0) {
        m_has_writes = false;
        m_empty = true; // a file without our tables (e.g. empty): nothing to read
      }
      return;
    }
    // WAL: readers never wait for the writer, and the writer's transactions are
    // short (a row count or --flush-interval), so other writers wait at most
    // that long for the lock (busy timeout), never fail with "database is locked".
    // synchronous=NORMAL keeps the database consistent after a crash (a power
    // cut may lose the last committed batches). Larger pages: fewer B-tree
    // splits when ingesting (applies to a new file only).
    exec("PRAGMA page_size = 16384");
    exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768; "
         "PRAGMA temp_store = MEMORY");
    exec("BEGIN IMMEDIATE");
    if (!try_user_version(version)) throw io_error(std::string("sqlite: ") + sqlite3_errmsg(m_db));
    try {
      check_version(path, version);
    } catch (...) {
      sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    if (version == 1) {
      log::warn("{}: upgrading the schema from version 1 to {} (readings keyed by port, a writes table)", path,
                k_schema_version);
      exec(k_migrate_v1);
      exec(k_schema);
      exec(k_migrate_v1_copy);
    } else {
      exec(k_schema);
    }
    exec("COMMIT");
  }

  void open(const std::string& name, int flags) {
    if (sqlite3_open_v2(name.c_str(), &m_db, flags, nullptr) != SQLITE_OK) {
      std::string msg = m_db ? sqlite3_errmsg(m_db) : "out of memory";
      sqlite3_close(m_db);
      m_db = nullptr;
      throw io_error("cannot open " + name + ": " + msg);
    }
    sqlite3_busy_timeout(m_db, k_busy_timeout_ms);
  }

  // Reads PRAGMA user_version; false if the file cannot be read.
  bool try_user_version(int& version) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(m_db, "PRAGMA user_version", -1, &s, nullptr) != SQLITE_OK) return false;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW;
  }

  static void check_version(const std::string& path, int version) {
    if (version > k_schema_version)
      throw data_error(fmt::format("{}: schema version {} is newer than this iot-export's ({}); use a newer iot-export",
                                   path, version, k_schema_version));
  }

  // `path` as the path part of a file: URI (RFC 3986 percent-encoding of what URIs reserve).
  static std::string uri_path(const std::string& path) {
    std::string out;
    for (unsigned char c : path) {
      if (c == '%' || c == '?' || c == '#' || c < 0x21 || c >= 0x7f) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        out += buf;
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    return out;
  }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "error";
      sqlite3_free(err);
      throw io_error("sqlite: " + msg);
    }
  }
  void run(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) throw io_error(std::string("sqlite: ") + sqlite3_errmsg(m_db));
  }

  static std::string insert_sql(int t, std::size_t rows) {
    std::string sql = k_insert[t];
    std::string one = sql.substr(sql.find("VALUES ") + 7);
    for (std::size_t i = 1; i < rows; ++i)
      sql += "," + one;
    return sql;
  }

  // Copies the text of `r` into `buf` and points the row at the copy.
  static void stabilize(Row& r, std::string& buf) {
    std::string_view* fields[] = {&r.device, &r.point, &r.port, &r.addr,   &r.uom, &r.quality, &r.error,     &r.alarm,
                                  &r.state,  &r.level, &r.type, &r.reason, &r.raw, &r.extra,   &r.value_text};
    std::size_t total = 0;
    for (auto* f : fields)
      total += f->size();
    buf.clear();
    buf.reserve(total); // no reallocation below: the views stay valid
    for (auto* f : fields) {
      if (f->empty()) continue;
      std::size_t at = buf.size();
      buf.append(*f);
      *f = std::string_view(buf).substr(at, f->size());
    }
  }

  void step_insert(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) throw io_error(std::string("sqlite insert: ") + sqlite3_errmsg(m_db));
    m_inserted += static_cast<std::size_t>(sqlite3_changes(m_db));
  }

  void run_group(int t, sqlite3_stmt* s) {
    step_insert(s);
    m_groups[t].count = 0;
  }

  // Binds the columns of `r` from parameter `i` on.
  static void bind(sqlite3_stmt* s, int i, const Row& r) {
    sqlite3_bind_int64(s, i++, r.ts_ms);
    switch (r.kind) {
    case RecordKind::reading:
      key(s, i++, r.device);
      key(s, i++, r.point);
      key(s, i++, r.port); // part of the key: '' when absent
      unit(s, i++, r);
      text(s, i++, r.addr);
      value(s, i, r);
      i += 3;
      text(s, i++, r.raw);
      text(s, i++, r.uom);
      text(s, i++, r.quality);
      text(s, i++, r.error);
      text(s, i++, r.alarm);
      text(s, i++, r.extra);
      break;
    case RecordKind::alarm:
      key(s, i++, r.device);
      key(s, i++, r.point);
      key(s, i++, r.state);
      text(s, i++, r.level);
      text(s, i++, r.type);
      if (r.value_tag == ValueTag::number)
        sqlite3_bind_double(s, i++, r.value_num);
      else
        sqlite3_bind_null(s, i++);
      if (r.has_limit)
        sqlite3_bind_double(s, i++, r.limit);
      else
        sqlite3_bind_null(s, i++);
      text(s, i++, r.uom);
      text(s, i++, r.extra);
      break;
    case RecordKind::status:
      key(s, i++, r.port);
      key(s, i++, r.device);
      key(s, i++, r.state);
      unit(s, i++, r);
      text(s, i++, r.reason);
      text(s, i++, r.extra);
      break;
    default: // write
      key(s, i++, r.port);
      key(s, i++, r.device);
      key(s, i++, r.point);
      key(s, i++, r.addr);
      unit(s, i++, r);
      if (r.has_fc)
        sqlite3_bind_int64(s, i++, r.fc);
      else
        sqlite3_bind_null(s, i++);
      value(s, i, r);
      i += 3;
      text(s, i++, r.raw);
      if (r.has_ok)
        sqlite3_bind_int(s, i++, r.ok ? 1 : 0);
      else
        sqlite3_bind_null(s, i++);
      text(s, i++, r.quality);
      text(s, i++, r.error);
      if (r.has_latency)
        sqlite3_bind_double(s, i++, r.latency_ms);
      else
        sqlite3_bind_null(s, i++);
      text(s, i++, r.extra);
      break;
    }
  }

  static void key(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
  }
  static void text(sqlite3_stmt* s, int i, std::string_view v) {
    if (v.empty())
      sqlite3_bind_null(s, i);
    else
      sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  static void unit(sqlite3_stmt* s, int i, const Row& r) {
    if (r.has_unit)
      sqlite3_bind_int64(s, i, r.unit);
    else
      sqlite3_bind_null(s, i);
  }
  static void value(sqlite3_stmt* s, int i, const Row& r) {
    sqlite3_bind_null(s, i);
    sqlite3_bind_null(s, i + 1);
    sqlite3_bind_null(s, i + 2);
    switch (r.value_tag) {
    case ValueTag::number: sqlite3_bind_double(s, i, r.value_num); break;
    case ValueTag::boolean: sqlite3_bind_int(s, i + 1, r.value_bool ? 1 : 0); break;
    case ValueTag::string:
      sqlite3_bind_text(s, i + 2, r.value_text.data(), static_cast<int>(r.value_text.size()), SQLITE_STATIC);
      break;
    default: break;
    }
  }

  static std::string_view col_text(sqlite3_stmt* s, int i) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    if (p == nullptr) return {};
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))};
  }

  bool step(sqlite3_stmt* s, int t, Row& r) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) throw io_error(std::string("sqlite query: ") + sqlite3_errmsg(m_db));
    r.clear();
    int i = 0;
    r.ts_ms = sqlite3_column_int64(s, i++);
    auto unit_col = [&](int c) {
      if (sqlite3_column_type(s, c) != SQLITE_NULL) {
        r.has_unit = true;
        r.unit = sqlite3_column_int64(s, c);
      }
    };
    if (t == 0) {
      r.kind = RecordKind::reading;
      r.device = col_text(s, i++);
      r.point = col_text(s, i++);
      r.port = col_text(s, i++);
      unit_col(i++);
      r.addr = col_text(s, i++);
      r.value_tag = ValueTag::null;
      if (sqlite3_column_type(s, i) != SQLITE_NULL) {
        r.value_tag = ValueTag::number;
        r.value_num = sqlite3_column_double(s, i);
      } else if (sqlite3_column_type(s, i + 1) != SQLITE_NULL) {
        r.value_tag = ValueTag::boolean;
        r.value_bool = sqlite3_column_int(s, i + 1) != 0;
      } else if (sqlite3_column_type(s, i + 2) != SQLITE_NULL) {
        r.value_tag = ValueTag::string;
        r.value_text = col_text(s, i + 2);
      }
      i += 3;
      r.raw = col_text(s, i++);
      r.uom = col_text(s, i++);
      r.quality = col_text(s, i++);
      r.error = col_text(s, i++);
      r.alarm = col_text(s, i++);
      r.extra = col_text(s, i++);
    } else if (t == 1) {
      r.kind = RecordKind::alarm;
      r.device = col_text(s, i++);
      r.point = col_text(s, i++);
      r.state = col_text(s, i++);
      r.level = col_text(s, i++);
      r.type = col_text(s, i++);
      if (sqlite3_column_type(s, i) != SQLITE_NULL) {
        r.value_tag = ValueTag::number;
        r.value_num = sqlite3_column_double(s, i);
      }
      ++i;
      if (sqlite3_column_type(s, i) != SQLITE_NULL) {
        r.has_limit = true;
        r.limit = sqlite3_column_double(s, i);
      }
      ++i;
      r.uom = col_text(s, i++);
      r.extra = col_text(s, i++);
    } else if (t == 2) {
      r.kind = RecordKind::status;
      r.port = col_text(s, i++);
      r.device = col_text(s, i++);
      r.state = col_text(s, i++);
      unit_col(i++);
      r.reason = col_text(s, i++);
      r.extra = col_text(s, i++);
    } else {
      r.kind = RecordKind::write;
      r.port = col_text(s, i++);
      r.device = col_text(s, i++);
      r.point = col_text(s, i++);
      r.addr = col_text(s, i++);
      unit_col(i++);
      if (sqlite3_column_type(s, i) != SQLITE_NULL) {
        r.has_fc = true;
        r.fc = sqlite3_column_int64(s, i);
      }
      ++i;
      // A write's value may be absent: all three columns NULL.
      if (sqlite3_column_type(s, i) != SQLITE_NULL) {
        r.value_tag = ValueTag::number;
        r.value_num = sqlite3_column_double(s, i);
      } else if (sqlite3_column_type(s, i + 1) != SQLITE_NULL) {
        r.value_tag = ValueTag::boolean;
        r.value_bool = sqlite3_column_int(s, i + 1) != 0;
      } else if (sqlite3_column_type(s, i + 2) != SQLITE_NULL) {
        r.value_tag = ValueTag::string;
        r.value_text = col_text(s, i + 2);
      }
      i += 3;
      r.raw = col_text(s, i++);
      if (sqlite3_column_type(s, i) != SQLITE_NULL) {
        r.has_ok = true;
        r.ok = sqlite3_column_int(s, i) != 0;
      }
      ++i;
      r.quality = col_text(s, i++);
      r.error = col_text(s, i++);
      if (sqlite3_column_type(s, i) != SQLITE_NULL) {
        r.has_latency = true;
        r.latency_ms = sqlite3_column_double(s, i);
      }
      ++i;
      r.extra = col_text(s, i++);
    }
    return true;
  }

  static constexpr int k_busy_timeout_ms = 60000; // another writer's transaction is short; this is generous

  sqlite3* m_db = nullptr;
  std::size_t m_batch;
  bool m_read_only = false;
  bool m_has_writes = true; // false for a version 1 file opened read-only
  bool m_empty = false;     // a read-only file without the tables
  struct Slot {
    Row row;
    std::string text;
  };
  struct Group {
    std::unique_ptr<Stmt> multi, single;
    std::vector<Slot> slots;
    std::size_t count = 0;
  };
  std::array<Group, k_table_count> m_groups;
  bool m_in_txn = false;
  std::size_t m_pending = 0;
  std::size_t m_inserted = 0;
};

} // namespace

std::unique_ptr<Store> open_sqlite(const std::string& path, std::size_t batch, OpenMode mode) {
  return std::make_unique<SqliteStore>(path, batch, mode);
}

} // namespace iot::exporter
