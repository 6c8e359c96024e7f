// The PostgreSQL store (docs/storage.md): the same tables as SQLite with a
// timestamptz time column. Rows are sent with COPY, straight into the table or
// (after a duplicate key) into session temp tables and then moved with
// INSERT ... ON CONFLICT DO NOTHING, one transaction per batch: fast,
// idempotent, and a killed ingest leaves only whole batches. The rows of a
// batch are sent in key order, so writers that meet the same keys take their
// locks in the same order and cannot deadlock.
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/time.hpp"
#include "iot/export/store.hpp"
#include "iot/export/store_sql.hpp"

namespace iot::exporter {

namespace {

// Key columns compare bytewise (COLLATE "C"): the natural keys need equality
// and a stable order, not language rules, and index upkeep is much cheaper.
constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS readings (
  ts timestamptz NOT NULL,
  device text COLLATE "C" NOT NULL,
  point text COLLATE "C" NOT NULL,
  port text COLLATE "C" NOT NULL DEFAULT '', unit integer, addr text,
  value_num double precision, value_bool boolean, value_text text,
  raw text, uom text, quality text, error text, alarm text,
  extra text,
  UNIQUE (ts, port, device, point)
);
CREATE INDEX IF NOT EXISTS readings_device_point_ts ON readings (device, point, ts);
CREATE TABLE IF NOT EXISTS alarms (
  ts timestamptz NOT NULL,
  device text COLLATE "C" NOT NULL,
  point text COLLATE "C" NOT NULL,
  state text COLLATE "C" NOT NULL DEFAULT '',
  level text, type text, value_num double precision, limit_value double precision, uom text,
  extra text,
  UNIQUE (ts, device, point, state)
);
CREATE INDEX IF NOT EXISTS alarms_device_point_ts ON alarms (device, point, ts);
CREATE TABLE IF NOT EXISTS status (
  ts timestamptz NOT NULL,
  port text COLLATE "C" NOT NULL DEFAULT '',
  device text COLLATE "C" NOT NULL DEFAULT '',
  state text COLLATE "C" NOT NULL,
  unit integer, reason text,
  extra text,
  UNIQUE (ts, port, device, state)
);
CREATE INDEX IF NOT EXISTS status_device_ts ON status (device, ts);
CREATE TABLE IF NOT EXISTS writes (
  ts timestamptz NOT NULL,
  port text COLLATE "C" NOT NULL DEFAULT '',
  device text COLLATE "C" NOT NULL DEFAULT '',
  point text COLLATE "C" NOT NULL DEFAULT '',
  addr text COLLATE "C" NOT NULL DEFAULT '',
  unit integer, fc integer,
  value_num double precision, value_bool boolean, value_text text,
  raw text, ok boolean, quality text, error text, latency_ms double precision,
  extra text,
  UNIQUE (ts, port, device, point, addr)
);
CREATE INDEX IF NOT EXISTS writes_device_ts ON writes (device, ts);
CREATE TABLE IF NOT EXISTS iot_schema (version integer NOT NULL);
)sql";

// Version 1 (no iot_schema table; readings keyed without the port).
constexpr const char* k_migrate_v1 = R"sql(
ALTER TABLE readings DROP CONSTRAINT IF EXISTS readings_ts_device_point_key;
UPDATE readings SET port = '' WHERE port IS NULL;
ALTER TABLE readings ALTER COLUMN port TYPE text COLLATE "C", ALTER COLUMN port SET DEFAULT '',
  ALTER COLUMN port SET NOT NULL;
ALTER TABLE readings ADD UNIQUE (ts, port, device, point);
)sql";

using sql::k_table_count;
using sql::k_tables;
using sql::table_index;

constexpr sql::Dialect k_dialect = {
    .ts_select = "(extract(epoch from ts) * 1000)::int8", // query() reads epoch milliseconds
    .min_ts = "'-infinity'",
    .skip_rows = "OFFSET ",
    .begin_write = "BEGIN",
    .begin_read = "BEGIN READ ONLY", // one snapshot for the cursors of all tables
};

struct Result {
  PGresult* r = nullptr;
  explicit Result(PGresult* p) : r(p) {}
  ~Result() { PQclear(r); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  Result(Result&& o) noexcept : r(o.r) { o.r = nullptr; }
};

constexpr std::int64_t k_pg_epoch_ms = 946684800000; // 2000-01-01T00:00:00Z, PostgreSQL's epoch

void put16(std::string& o, std::uint16_t v) {
  o.push_back(static_cast<char>(v >> 8));
  o.push_back(static_cast<char>(v));
}
void put32(std::string& o, std::uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  o.append(b, 4);
}
void put64(std::string& o, std::uint64_t v) {
  put32(o, static_cast<std::uint32_t>(v >> 32));
  put32(o, static_cast<std::uint32_t>(v));
}
void put_i64(std::string& o, std::int64_t v) {
  put32(o, 8);
  put64(o, static_cast<std::uint64_t>(v));
}
void put_null(std::string& o) { put32(o, 0xffffffffu); }
void put_text(std::string& o, std::string_view v) {
  put32(o, static_cast<std::uint32_t>(v.size()));
  o.append(v);
}

// Fields in COPY BINARY form (PostgreSQL "COPY" reference, Binary Format): a
// length, then the value in the type's binary send format (big-endian).
struct CopyFields {
  std::string& o;
  void null() { put_null(o); }
  // timestamptz: microseconds since 2000-01-01T00:00:00Z.
  void ts(std::int64_t ms) { put_i64(o, (ms - k_pg_epoch_ms) * 1000); }
  // integer (int4): the columns hold 32-bit values (to_row keeps wider ones in extra).
  void integer(std::int64_t v) {
    put32(o, 4);
    put32(o, static_cast<std::uint32_t>(static_cast<std::int32_t>(v)));
  }
  void real(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    put32(o, 8);
    put64(o, bits);
  }
  void boolean(bool v) {
    put32(o, 1);
    o.push_back(v ? 1 : 0);
  }
  void text(std::string_view v) { put_text(o, v); }
};

// One libpq connection with the few operations the store needs.
class Conn {
public:
  explicit Conn(const std::string& url) {
    m_conn = PQconnectdb(url.c_str());
    if (PQstatus(m_conn) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(m_conn);
      PQfinish(m_conn);
      while (!msg.empty() && msg.back() == '\n')
        msg.pop_back();
      throw io_error("cannot connect to PostgreSQL: " + msg);
    }
    exec("SET client_min_messages = warning");
    // Commits need not wait for the disk: a crash can lose the last batches but
    // never leaves a half batch (they are rerun idempotently).
    exec("SET synchronous_commit = off");
  }
  ~Conn() { PQfinish(m_conn); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  PGconn* get() const { return m_conn; }

  Result exec(const std::string& sql) {
    Result r(PQexec(m_conn, sql.c_str()));
    auto st = PQresultStatus(r.r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string msg = PQerrorMessage(m_conn);
      while (!msg.empty() && msg.back() == '\n')
        msg.pop_back();
      // Leave the session usable for the destructor.
      PQclear(PQexec(m_conn, "ROLLBACK"));
      throw io_error("postgres: " + msg);
    }
    return r;
  }

  // Runs a COPY ... FROM STDIN with `data`. With `may_conflict`, a unique
  // violation returns false (the caller rolls back to a savepoint); any other
  // failure throws.
  bool copy_in(const std::string& sql, const std::string& data, bool may_conflict) {
    {
      Result r(PQexec(m_conn, sql.c_str()));
      if (PQresultStatus(r.r) != PGRES_COPY_IN) fail("postgres COPY: ");
    }
    constexpr std::size_t k_chunk = 1 << 20;
    for (std::size_t off = 0; off < data.size(); off += k_chunk) {
      auto n = std::min(k_chunk, data.size() - off);
      if (PQputCopyData(m_conn, data.data() + off, static_cast<int>(n)) != 1) fail("postgres COPY: ");
    }
    if (PQputCopyEnd(m_conn, nullptr) != 1) fail("postgres COPY: ");
    std::string error, state;
    while (PGresult* r = PQgetResult(m_conn)) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        error = PQresultErrorMessage(r);
        const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        state = code ? code : "";
      }
      PQclear(r);
    }
    if (error.empty()) return true;
    if (may_conflict && state == "23505") return false; // unique_violation (PostgreSQL Appendix A)
    while (!error.empty() && error.back() == '\n')
      error.pop_back();
    PQclear(PQexec(m_conn, "ROLLBACK"));
    throw io_error("postgres COPY: " + error);
  }

  [[noreturn]] void fail(const char* what) {
    std::string msg = PQerrorMessage(m_conn);
    while (!msg.empty() && msg.back() == '\n')
      msg.pop_back();
    PQclear(PQexec(m_conn, "ROLLBACK"));
    throw io_error(what + msg);
  }

private:
  PGconn* m_conn = nullptr;
};

constexpr std::size_t k_copy_header = 19; // signature, flags, header extension length

// A batch of rows in COPY BINARY form, per table, with each row's span and
// sort key (the table's key columns as bytes: ts big-endian with the sign bit
// flipped, then each text and a NUL, which texts never hold here).
struct Batch {
  struct Span {
    std::uint32_t row_begin, row_end, key_begin, key_end;
  };
  std::array<std::string, k_table_count> copy;
  std::array<std::string, k_table_count> keys;
  std::array<std::vector<Span>, k_table_count> spans;
  std::array<std::size_t, k_table_count> rows{};
  std::size_t pending = 0;

  void clear() {
    for (int t = 0; t < k_table_count; ++t) {
      copy[t].clear();
      keys[t].clear();
      spans[t].clear();
    }
    rows = {};
    pending = 0;
  }

  // The COPY data of table `t` with its rows in key order, and the trailer.
  void sorted(int t, std::string& out) const {
    const std::string& k = keys[t];
    std::vector<const Span*> order;
    order.reserve(spans[t].size());
    for (const auto& s : spans[t])
      order.push_back(&s);
    std::stable_sort(order.begin(), order.end(), [&k](const Span* a, const Span* b) {
      return std::string_view(k).substr(a->key_begin, a->key_end - a->key_begin) <
             std::string_view(k).substr(b->key_begin, b->key_end - b->key_begin);
    });
    out.clear();
    out.reserve(copy[t].size() + 2);
    out.append(copy[t], 0, k_copy_header);
    for (const Span* s : order)
      out.append(copy[t], s->row_begin, s->row_end - s->row_begin);
    put16(out, 0xffff); // end of the binary COPY data
  }
};

// Writes batches on its own connection and thread, so the server works on a
// batch while the next one is parsed (and, with several writers, on several
// batches at once). Each batch is one transaction.
class Writer {
public:
  explicit Writer(const std::string& url) : m_conn(url), m_thread([this] { loop(); }) {}
  ~Writer() {
    {
      std::lock_guard lock(m_mutex);
      m_quit = true;
    }
    m_cv.notify_all();
    m_thread.join();
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Waits until idle, rethrows its error if any, then takes `batch` (swapped out).
  void submit(Batch& batch) {
    wait_idle();
    std::lock_guard lock(m_mutex);
    std::swap(m_batch, batch);
    m_busy = true;
    m_cv.notify_all();
  }

  // Waits for the current batch; rethrows its error.
  void wait_idle() {
    std::unique_lock lock(m_mutex);
    m_cv.wait(lock, [this] { return !m_busy; });
    if (m_error) std::rethrow_exception(std::exchange(m_error, nullptr));
  }

  std::size_t inserted() const { return m_inserted.load(); }

private:
  void loop() {
    std::unique_lock lock(m_mutex);
    for (;;) {
      m_cv.wait(lock, [this] { return m_busy || m_quit; });
      if (m_busy) {
        lock.unlock();
        try {
          write(m_batch);
        } catch (...) {
          lock.lock();
          m_error = std::current_exception();
          lock.unlock();
        }
        m_batch.clear();
        lock.lock();
        m_busy = false;
        m_cv.notify_all();
        continue;
      }
      if (m_quit) return;
    }
  }

  void write(Batch& b) {
    if (!m_temp_ready) {
      for (const sql::Table& table : k_tables)
        m_conn.exec(std::string("CREATE TEMP TABLE IF NOT EXISTS ") + table.name + "_in (LIKE " + table.name +
                    " INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
      m_temp_ready = true;
    }
    m_conn.exec("BEGIN");
    for (int t = 0; t < k_table_count; ++t) {
      if (b.copy[t].empty()) continue;
      b.sorted(t, m_data);
      bool done = false;
      if (m_direct[t]) {
        // Fast path: COPY straight into the table. It fails as a whole on the
        // first duplicate key, and the batch then goes the idempotent way.
        m_conn.exec("SAVEPOINT direct");
        if (m_conn.copy_in(std::string("COPY ") + k_tables[t].name + " FROM STDIN (FORMAT binary)", m_data, true)) {
          m_conn.exec("RELEASE SAVEPOINT direct");
          m_inserted += b.rows[t];
          done = true;
        } else {
          m_conn.exec("ROLLBACK TO SAVEPOINT direct");
          m_direct[t] = false;
        }
      }
      if (!done) {
        std::string in = std::string(k_tables[t].name) + "_in";
        m_conn.copy_in("COPY " + in + " FROM STDIN (FORMAT binary)", m_data, false);
        // In key order, as the COPY above was, so two writers lock keys in the same order.
        Result r = m_conn.exec(std::string("INSERT INTO ") + k_tables[t].name + " SELECT * FROM " + in + " ORDER BY " +
                               k_tables[t].key_names + " ON CONFLICT DO NOTHING");
        std::size_t n = std::strtoull(PQcmdTuples(r.r), nullptr, 10);
        m_inserted += n;
        // Once a whole batch is new again (a rerun has caught up), try the fast path.
        if (n == b.rows[t]) m_direct[t] = true;
      }
    }
    m_conn.exec("COMMIT");
  }

  Conn m_conn;
  bool m_temp_ready = false;
  std::array<bool, k_table_count> m_direct{true, true, true, true};
  std::string m_data; // the COPY data of one table, sorted
  std::atomic<std::size_t> m_inserted{0};
  std::mutex m_mutex;
  std::condition_variable m_cv;
  Batch m_batch;
  bool m_busy = false;
  bool m_quit = false;
  std::exception_ptr m_error;
  std::thread m_thread; // last: starts after the members it uses
};

class PgStore final : public sql::TableStore {
public:
  PgStore(const std::string& url, std::size_t batch, OpenMode mode)
      : TableStore(k_dialect), m_url(url), m_main(url), m_batch(batch), m_read_only(mode == OpenMode::read_only) {
    if (m_read_only) {
      // Nothing is written, not even the schema: a read-only role can query.
      exec("SET default_transaction_read_only = on");
      int version = schema_version();
      m_present = sql::PresentTables::at_version(version);
      if (version == 1)
        log::warn("PostgreSQL database has schema version 1 (readings not keyed by port, no writes table); the "
                  "next iot-export postgres or prune on it upgrades it to version {}",
                  k_schema_version);
      return;
    }
    exec("BEGIN");
    exec("SELECT pg_advisory_xact_lock(7426001)"); // two first ingests must not race on CREATE TABLE
    int version = schema_version();
    if (version == 1) {
      log::warn("upgrading the PostgreSQL schema from version 1 to {} (readings keyed by port, a writes table)",
                k_schema_version);
      exec(k_migrate_v1);
    }
    exec(k_schema);
    if (version != k_schema_version) {
      exec("DELETE FROM iot_schema");
      exec("INSERT INTO iot_schema VALUES (" + std::to_string(k_schema_version) + ")");
    }
    {
      Result r = exec("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
      if (PQntuples(r.r) > 0) {
        for (const sql::Table& table : k_tables)
          exec(std::string("SELECT create_hypertable('") + table.name +
               "', 'ts', if_not_exists => TRUE, migrate_data => TRUE)");
      }
    }
    exec("COMMIT");
  }

  // PostgreSQL text cannot hold NUL (U+0000): such a record is rejected alone.
  std::string check(const Row& r) const override {
    const std::string_view texts[] = {r.device, r.point, r.port,  r.addr, r.uom,    r.quality,   r.error,
                                      r.alarm,  r.state, r.level, r.type, r.reason, r.value_text};
    const char* names[] = {"device", "point", "port",  "addr", "uom",    "quality", "error",
                           "alarm",  "state", "level", "type", "reason", "value"};
    for (std::size_t i = 0; i < std::size(texts); ++i)
      if (texts[i].find('\0') != std::string_view::npos)
        return std::string("\"") + names[i] + "\" holds a NUL character (\\u0000), which PostgreSQL text cannot store";
    return {};
  }

  ~PgStore() override {
    // Batches already handed to writers finish (each is a whole transaction);
    // their errors no longer matter here.
    for (auto& w : m_writers) {
      try {
        w->wait_idle();
      } catch (...) {
      }
    }
  }

  void add(const Row& r) override {
    if (m_read_only) throw io_error("postgres: the database was opened read-only");
    int t = table_index(r.kind);
    // COPY BINARY (PostgreSQL "COPY" reference, Binary Format): the server
    // parses no text, which is most of its work per row otherwise.
    std::string& o = m_current.copy[t];
    if (o.empty()) o.append("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", k_copy_header);
    const auto row_begin = static_cast<std::uint32_t>(o.size());
    put16(o, static_cast<std::uint16_t>(k_tables[t].columns.size()));
    CopyFields fields{o};
    sql::put_row(r, fields);
    // The sort key (see Batch).
    std::string& k = m_current.keys[t];
    const auto key_begin = static_cast<std::uint32_t>(k.size());
    const auto ts = static_cast<std::uint64_t>(r.ts_ms) ^ (1ull << 63);
    for (int shift = 56; shift >= 0; shift -= 8)
      k.push_back(static_cast<char>(ts >> shift));
    for (const sql::Column* c : k_tables[t].key) {
      if (c->cell != sql::Cell::text) continue; // ts: above
      k.append(r.*c->text);
      k.push_back('\0');
    }
    m_current.spans[t].push_back(
        {row_begin, static_cast<std::uint32_t>(o.size()), key_begin, static_cast<std::uint32_t>(k.size())});
    ++m_current.rows[t];
    if (++m_current.pending >= m_batch) submit();
  }

  void flush() override {
    submit();
    for (auto& w : m_writers)
      w->wait_idle();
  }

  std::size_t inserted() const override {
    std::size_t n = 0;
    for (const auto& w : m_writers)
      n += w->inserted();
    return n;
  }

protected:
  sql::Operands operands(const QueryFilter& f) override {
    sql::Operands o;
    if (f.from_ms) o.from = ms_literal(*f.from_ms);
    if (f.to_ms) o.to = ms_literal(*f.to_ms);
    if (!f.device.empty()) o.device = literal(f.device);
    if (!f.point.empty()) o.point = literal(f.point);
    return o;
  }

  // A cursor "c<t>" over `select` (the values are in it as literals), fetched
  // 10000 rows at a time in the transaction of the query.
  std::unique_ptr<sql::RowCursor> open_cursor(int t, const std::string& select, const QueryFilter&) override {
    std::string name = "c" + std::to_string(t);
    exec("DECLARE " + name + " NO SCROLL CURSOR FOR " + select);
    return std::make_unique<Cursor>(*this, t, "FETCH 10000 FROM " + name);
  }

  std::size_t execute(const std::string& statement, const QueryFilter&) override {
    Result r = exec(statement);
    return std::strtoull(PQcmdTuples(r.r), nullptr, 10);
  }

  std::size_t count_rows(const std::string& select) override {
    Result r = exec(select);
    return std::strtoull(PQgetvalue(r.r, 0, 0), nullptr, 10);
  }

  void command(const std::string& statement) override { exec(statement); }

private:
  std::string literal(const std::string& s) {
    char* q = PQescapeLiteral(m_main.get(), s.data(), s.size());
    if (q == nullptr) throw io_error(std::string("postgres: ") + PQerrorMessage(m_main.get()));
    std::string out = q;
    PQfreemem(q);
    return out;
  }
  static std::string ms_literal(std::int64_t ms) {
    return "(timestamptz 'epoch' + " + std::to_string(ms) + " * interval '1 millisecond')";
  }

  static std::string_view val(PGresult* r, int row, int col) {
    if (PQgetisnull(r, row, col)) return {};
    return {PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))};
  }
  static double dbl(std::string_view s) {
    double d = 0;
    std::from_chars(s.data(), s.data() + s.size(), d);
    return d;
  }
  static std::int64_t i64(std::string_view s) {
    std::int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }

  struct Cursor final : sql::RowCursor {
    Cursor(PgStore& store, int table, std::string fetch) : store(store), table(table), fetch(std::move(fetch)) {}
    bool next(Row& r) override {
      if (!batch || index + 1 >= PQntuples(batch->r)) {
        batch = std::make_unique<Result>(store.exec(fetch));
        index = 0;
        if (PQntuples(batch->r) == 0) return false;
      } else {
        ++index;
      }
      sql::get_row(table, Fields{batch->r, index}, r);
      return true;
    }
    PgStore& store;
    int table;
    std::string fetch;
    std::unique_ptr<Result> batch;
    int index = 0;
  };

  // The fields of one row of a result (text format).
  struct Fields {
    PGresult* p;
    int row;
    bool is_null(int i) const { return PQgetisnull(p, row, i); }
    std::int64_t integer(int i) const { return i64(val(p, row, i)); }
    double real(int i) const { return dbl(val(p, row, i)); }
    bool boolean(int i) const { return val(p, row, i) == "t"; }
    std::string_view text(int i) const { return val(p, row, i); }
  };

  // 0: no tables; 1: tables without iot_schema; else the stored version.
  int schema_version() {
    Result r = exec("SELECT to_regclass('iot_schema') IS NOT NULL, to_regclass('readings') IS NOT NULL");
    bool has_version = val(r.r, 0, 0) == "t", has_readings = val(r.r, 0, 1) == "t";
    if (!has_version) return has_readings ? 1 : 0;
    Result v = exec("SELECT coalesce(max(version), 0) FROM iot_schema");
    int version = static_cast<int>(i64(val(v.r, 0, 0)));
    if (version > k_schema_version)
      throw data_error("PostgreSQL database has schema version " + std::to_string(version) +
                       ", newer than this iot-export's (" + std::to_string(k_schema_version) +
                       "); use a newer iot-export");
    return version == 0 ? k_schema_version : version;
  }

  // Hands the current batch to the next writer (started on first use).
  void submit() {
    if (m_current.pending == 0) return;
    if (m_writers.size() < k_writers) m_writers.push_back(std::make_unique<Writer>(m_url));
    m_writers[m_next]->submit(m_current);
    m_next = (m_next + 1) % k_writers;
  }

  Result exec(const std::string& sql) { return m_main.exec(sql); }

  static constexpr std::size_t k_writers = 2; // batches in flight: bounded memory
  std::string m_url;
  Conn m_main; // schema, queries, deletes
  std::size_t m_batch;
  bool m_read_only = false;
  Batch m_current;
  std::vector<std::unique_ptr<Writer>> m_writers;
  std::size_t m_next = 0;
};

} // namespace

std::unique_ptr<Store> open_postgres(const std::string& url, std::size_t batch, OpenMode mode) {
  return std::make_unique<PgStore>(url, batch, mode);
}

} // namespace iot::exporter
