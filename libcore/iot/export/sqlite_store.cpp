// The SQLite store (docs/storage.md): one file, WAL journal, a prepared
// INSERT OR IGNORE per table, `batch` rows per transaction.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <vector>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/export/store.hpp"
#include "iot/export/store_sql.hpp"

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

using sql::k_table_count;
using sql::k_tables;
using sql::table_index;

constexpr std::size_t k_rows_per_insert = 32;

constexpr sql::Dialect k_dialect = {
    .ts_select = "ts", // stored as epoch milliseconds
    .min_ts = "-9223372036854775807",
    .skip_rows = "LIMIT -1 OFFSET ",
    .begin_write = "BEGIN IMMEDIATE",
    .begin_read = "", // a statement reads one snapshot of the WAL file
};

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

class SqliteStore final : public sql::TableStore {
public:
  SqliteStore(const std::string& path, std::size_t batch, OpenMode mode)
      : TableStore(k_dialect), m_batch(batch), m_read_only(mode == OpenMode::read_only) {
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
    bind(g.multi->get(), static_cast<int>(k_tables[t].columns.size() * g.count) + 1, r);
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

protected:
  sql::Operands operands(const QueryFilter&) override { return sql::k_placeholders; }

  std::unique_ptr<sql::RowCursor> open_cursor(int t, const std::string& select, const QueryFilter& f) override {
    auto cursor = std::make_unique<Cursor>(m_db, t, select);
    bind_filter(cursor->stmt.get(), f);
    return cursor;
  }

  std::size_t execute(const std::string& statement, const QueryFilter& f) override {
    Stmt s(m_db, statement);
    bind_filter(s.get(), f);
    run(s.get());
    return static_cast<std::size_t>(sqlite3_changes(m_db));
  }

  std::size_t count_rows(const std::string& select) override {
    Stmt s(m_db, select);
    return sqlite3_step(s.get()) == SQLITE_ROW ? static_cast<std::size_t>(sqlite3_column_int64(s.get(), 0)) : 0;
  }

  void command(const std::string& statement) override { exec(statement.c_str()); }

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
      m_present = sql::PresentTables::at_version(version);
      if (version == 1)
        log::warn("{}: schema version 1 (readings not keyed by port, no writes table); the next iot-export "
                  "sqlite or prune on it upgrades it to version {}",
                  path, k_schema_version);
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

  // An INSERT OR IGNORE of `rows` rows into table `t`.
  static std::string insert_sql(int t, std::size_t rows) {
    std::string one = "(?";
    for (std::size_t i = 1; i < k_tables[t].columns.size(); ++i)
      one += ",?";
    one += ")";
    std::string sql =
        std::string("INSERT OR IGNORE INTO ") + k_tables[t].name + " (" + k_tables[t].column_names + ") VALUES " + one;
    for (std::size_t i = 1; i < rows; ++i)
      sql += "," + one;
    return sql;
  }

  // Binds the operands of `f` to the placeholders of sql::k_placeholders.
  static void bind_filter(sqlite3_stmt* s, const QueryFilter& f) {
    if (f.from_ms) sqlite3_bind_int64(s, sql::param_from, *f.from_ms);
    if (f.to_ms) sqlite3_bind_int64(s, sql::param_to, *f.to_ms);
    if (!f.device.empty()) bind_text(s, sql::param_device, f.device);
    if (!f.point.empty()) bind_text(s, sql::param_point, f.point);
  }
  static void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
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

  // Binds the columns of `r` from parameter `first` on.
  static void bind(sqlite3_stmt* s, int first, const Row& r) {
    struct Binder {
      sqlite3_stmt* s;
      int i;
      void null() { sqlite3_bind_null(s, i++); }
      void ts(std::int64_t ms) { sqlite3_bind_int64(s, i++, ms); }
      void integer(std::int64_t v) { sqlite3_bind_int64(s, i++, v); }
      void real(double v) { sqlite3_bind_double(s, i++, v); }
      void boolean(bool v) { sqlite3_bind_int(s, i++, v ? 1 : 0); }
      void text(std::string_view v) { bind_text(s, i++, v); }
    } binder{s, first};
    sql::put_row(r, binder);
  }

  // The columns of the current result row.
  struct Columns {
    sqlite3_stmt* s;
    bool is_null(int i) const { return sqlite3_column_type(s, i) == SQLITE_NULL; }
    std::int64_t integer(int i) const { return sqlite3_column_int64(s, i); }
    double real(int i) const { return sqlite3_column_double(s, i); }
    bool boolean(int i) const { return sqlite3_column_int(s, i) != 0; }
    std::string_view text(int i) const {
      auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      if (p == nullptr) return {};
      return {p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))};
    }
  };

  // A SELECT of one table, read a row at a time.
  struct Cursor final : sql::RowCursor {
    Cursor(sqlite3* db, int table, const std::string& select) : db(db), table(table), stmt(db, select) {}
    bool next(Row& r) override {
      int rc = sqlite3_step(stmt.get());
      if (rc == SQLITE_DONE) return false;
      if (rc != SQLITE_ROW) throw io_error(std::string("sqlite query: ") + sqlite3_errmsg(db));
      sql::get_row(table, Columns{stmt.get()}, r);
      return true;
    }
    sqlite3* db;
    int table;
    Stmt stmt;
  };

  static constexpr int k_busy_timeout_ms = 60000; // another writer's transaction is short; this is generous

  sqlite3* m_db = nullptr;
  std::size_t m_batch;
  bool m_read_only = false;
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
