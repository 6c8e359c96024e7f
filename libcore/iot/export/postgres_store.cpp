// The PostgreSQL store (docs/storage.md): the same tables as SQLite with a
// timestamptz time column. Rows are sent with COPY into session temp tables,
// then moved with INSERT ... ON CONFLICT DO NOTHING, one transaction per batch:
// fast, idempotent, and a killed ingest leaves only whole batches.
#include <libpq-fe.h>

#include <array>
#include <charconv>
#include <cstdlib>

#include "iot/core/error.hpp"
#include "iot/core/time.hpp"
#include "iot/export/store.hpp"

namespace iot::exporter {

namespace {

constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS readings (
  ts timestamptz NOT NULL,
  device text NOT NULL,
  point text NOT NULL,
  port text, unit integer, addr text,
  value_num double precision, value_bool boolean, value_text text,
  raw text, uom text, quality text, error text, alarm text,
  extra text,
  UNIQUE (ts, device, point)
);
CREATE INDEX IF NOT EXISTS readings_device_point_ts ON readings (device, point, ts);
CREATE TABLE IF NOT EXISTS alarms (
  ts timestamptz NOT NULL,
  device text NOT NULL,
  point text NOT NULL,
  state text NOT NULL DEFAULT '',
  level text, type text, value_num double precision, limit_value double precision, uom text,
  extra text,
  UNIQUE (ts, device, point, state)
);
CREATE INDEX IF NOT EXISTS alarms_device_point_ts ON alarms (device, point, ts);
CREATE TABLE IF NOT EXISTS status (
  ts timestamptz NOT NULL,
  port text NOT NULL DEFAULT '',
  device text NOT NULL DEFAULT '',
  state text NOT NULL,
  unit integer, reason text,
  extra text,
  UNIQUE (ts, port, device, state)
);
CREATE INDEX IF NOT EXISTS status_device_ts ON status (device, ts);
)sql";

constexpr const char* k_tables[] = {"readings", "alarms", "status"};
constexpr const char* k_columns[] = {
    "(extract(epoch from ts) * 1000)::int8, device, point, port, unit, addr, value_num, value_bool, value_text, "
    "raw, uom, quality, error, alarm, extra",
    "(extract(epoch from ts) * 1000)::int8, device, point, state, level, type, value_num, limit_value, uom, extra",
    "(extract(epoch from ts) * 1000)::int8, port, device, state, unit, reason, extra",
};
constexpr const char* k_keys[] = {"ts, device, point", "ts, device, point, state", "ts, port, device, state"};

int table_index(RecordKind k) { return k == RecordKind::reading ? 0 : k == RecordKind::alarm ? 1 : 2; }

struct Result {
  PGresult* r = nullptr;
  explicit Result(PGresult* p) : r(p) {}
  ~Result() { PQclear(r); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  Result(Result&& o) noexcept : r(o.r) { o.r = nullptr; }
};

// COPY text format: tab-separated, \N for NULL, backslash escapes.
void copy_text(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
    case '\\': out.append("\\\\"); break;
    case '\t': out.append("\\t"); break;
    case '\n': out.append("\\n"); break;
    case '\r': out.append("\\r"); break;
    default: out.push_back(c);
    }
  }
}
void copy_nullable(std::string& out, std::string_view v) {
  if (v.empty())
    out.append("\\N");
  else
    copy_text(out, v);
}
void copy_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
void copy_double(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

class PgStore final : public Store {
public:
  PgStore(const std::string& url, std::size_t batch) : m_batch(batch) {
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
    exec("BEGIN");
    exec("SELECT pg_advisory_xact_lock(7426001)"); // two first ingests must not race on CREATE TABLE
    exec(k_schema);
    {
      Result r = exec("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
      if (PQntuples(r.r) > 0) {
        for (const char* t : k_tables)
          exec(std::string("SELECT create_hypertable('") + t + "', 'ts', if_not_exists => TRUE, migrate_data => TRUE)");
      }
    }
    exec("COMMIT");
  }

  ~PgStore() override { PQfinish(m_conn); }

  void add(const Row& r) override {
    int t = table_index(r.kind);
    if (!m_temp_ready) {
      for (const char* name : k_tables)
        exec(std::string("CREATE TEMP TABLE IF NOT EXISTS ") + name + "_in (LIKE " + name +
             " INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
      m_temp_ready = true;
    }
    std::string& o = m_copy[t];
    char ts[24];
    format_ts(from_ms(r.ts_ms), ts);
    o.append(ts, 24);
    auto sep = [&] { o.push_back('\t'); };
    auto unit = [&] {
      sep();
      if (r.has_unit)
        copy_int(o, r.unit);
      else
        o.append("\\N");
    };
    auto text = [&](std::string_view v) {
      sep();
      copy_nullable(o, v);
    };
    auto key = [&](std::string_view v) {
      sep();
      copy_text(o, v);
    };
    switch (r.kind) {
    case RecordKind::reading:
      key(r.device);
      key(r.point);
      text(r.port);
      unit();
      text(r.addr);
      sep();
      if (r.value_tag == ValueTag::number)
        copy_double(o, r.value_num);
      else
        o.append("\\N");
      sep();
      if (r.value_tag == ValueTag::boolean)
        o.push_back(r.value_bool ? 't' : 'f');
      else
        o.append("\\N");
      sep();
      if (r.value_tag == ValueTag::string)
        copy_text(o, r.value_text);
      else
        o.append("\\N");
      text(r.raw);
      text(r.uom);
      text(r.quality);
      text(r.error);
      text(r.alarm);
      text(r.extra);
      break;
    case RecordKind::alarm:
      key(r.device);
      key(r.point);
      key(r.state);
      text(r.level);
      text(r.type);
      sep();
      if (r.value_tag == ValueTag::number)
        copy_double(o, r.value_num);
      else
        o.append("\\N");
      sep();
      if (r.has_limit)
        copy_double(o, r.limit);
      else
        o.append("\\N");
      text(r.uom);
      text(r.extra);
      break;
    default:
      key(r.port);
      key(r.device);
      key(r.state);
      unit();
      text(r.reason);
      text(r.extra);
      break;
    }
    o.push_back('\n');
    if (++m_pending >= m_batch) flush();
  }

  void flush() override {
    if (m_pending == 0) return;
    exec("BEGIN");
    for (int t = 0; t < 3; ++t) {
      if (m_copy[t].empty()) continue;
      std::string in = std::string(k_tables[t]) + "_in";
      copy_in("COPY " + in + " FROM STDIN", m_copy[t]);
      Result r = exec(std::string("INSERT INTO ") + k_tables[t] + " SELECT * FROM " + in + " ON CONFLICT DO NOTHING");
      m_inserted += std::strtoull(PQcmdTuples(r.r), nullptr, 10);
      m_copy[t].clear();
    }
    exec("COMMIT");
    m_pending = 0;
  }

  std::size_t inserted() const override { return m_inserted; }

  void query(const QueryFilter& f, const std::function<void(const Row&)>& fn) override {
    flush();
    struct Cursor {
      bool open = false;
      std::unique_ptr<Result> batch;
      int index = 0;
      Row row;
    };
    std::array<Cursor, 3> cursors;
    exec("BEGIN READ ONLY");
    for (int t = 0; t < 3; ++t) {
      if (f.kind && table_index(*f.kind) != t) continue;
      if (t == 2 && !f.point.empty()) continue; // status records have no point
      std::string where;
      auto cond = [&](const std::string& c) {
        where += where.empty() ? " WHERE " : " AND ";
        where += c;
      };
      if (f.from_ms) cond("ts >= " + ms_literal(*f.from_ms));
      if (f.to_ms) cond("ts < " + ms_literal(*f.to_ms));
      if (!f.device.empty()) cond("device = " + literal(f.device));
      if (!f.point.empty()) cond("point = " + literal(f.point));
      exec(std::string("DECLARE c") + std::to_string(t) + " NO SCROLL CURSOR FOR SELECT " + k_columns[t] + " FROM " +
           k_tables[t] + where + " ORDER BY " + k_keys[t]);
      cursors[t].open = true;
      advance(t, cursors[t].batch, cursors[t].index, cursors[t].row, cursors[t].open);
    }
    for (;;) {
      int best = -1;
      for (int t = 0; t < 3; ++t)
        if (cursors[t].open && (best < 0 || cursors[t].row.ts_ms < cursors[best].row.ts_ms)) best = t;
      if (best < 0) break;
      fn(cursors[best].row);
      auto& c = cursors[best];
      advance(best, c.batch, c.index, c.row, c.open);
    }
    exec("COMMIT");
  }

  StoreCounts prune(std::optional<std::int64_t> from, std::optional<std::int64_t> to) override {
    flush();
    StoreCounts c;
    std::size_t* out[] = {&c.readings, &c.alarms, &c.status};
    exec("BEGIN");
    for (int t = 0; t < 3; ++t) {
      std::string sql = std::string("DELETE FROM ") + k_tables[t] + " WHERE true";
      if (from) sql += " AND ts >= " + ms_literal(*from);
      if (to) sql += " AND ts < " + ms_literal(*to);
      Result r = exec(sql);
      *out[t] = std::strtoull(PQcmdTuples(r.r), nullptr, 10);
    }
    exec("COMMIT");
    return c;
  }

  StoreCounts cap(std::size_t max_rows) override {
    flush();
    StoreCounts c;
    std::size_t* out[] = {&c.readings, &c.alarms, &c.status};
    exec("BEGIN");
    for (int t = 0; t < 3; ++t) {
      std::string sql = std::string("DELETE FROM ") + k_tables[t] + " WHERE (" + k_keys[t] + ") IN (SELECT " +
                        k_keys[t] + " FROM " + k_tables[t] + " ORDER BY ts DESC OFFSET " + std::to_string(max_rows) +
                        ")";
      Result r = exec(sql);
      *out[t] = std::strtoull(PQcmdTuples(r.r), nullptr, 10);
    }
    exec("COMMIT");
    return c;
  }

  StoreCounts count() override {
    flush();
    StoreCounts c;
    std::size_t* out[] = {&c.readings, &c.alarms, &c.status};
    for (int t = 0; t < 3; ++t) {
      Result r = exec(std::string("SELECT count(*) FROM ") + k_tables[t]);
      *out[t] = std::strtoull(PQgetvalue(r.r, 0, 0), nullptr, 10);
    }
    return c;
  }

private:
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

  void copy_in(const std::string& sql, const std::string& data) {
    {
      Result r(PQexec(m_conn, sql.c_str()));
      if (PQresultStatus(r.r) != PGRES_COPY_IN) throw io_error(std::string("postgres COPY: ") + PQerrorMessage(m_conn));
    }
    constexpr std::size_t k_chunk = 1 << 20;
    for (std::size_t off = 0; off < data.size(); off += k_chunk) {
      auto n = std::min(k_chunk, data.size() - off);
      if (PQputCopyData(m_conn, data.data() + off, static_cast<int>(n)) != 1)
        throw io_error(std::string("postgres COPY: ") + PQerrorMessage(m_conn));
    }
    if (PQputCopyEnd(m_conn, nullptr) != 1) throw io_error(std::string("postgres COPY: ") + PQerrorMessage(m_conn));
    std::string error;
    while (PGresult* r = PQgetResult(m_conn)) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
      PQclear(r);
    }
    if (!error.empty()) {
      PQclear(PQexec(m_conn, "ROLLBACK"));
      throw io_error("postgres COPY: " + error);
    }
  }

  std::string literal(const std::string& s) {
    char* q = PQescapeLiteral(m_conn, s.data(), s.size());
    if (q == nullptr) throw io_error(std::string("postgres: ") + PQerrorMessage(m_conn));
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

  void advance(int t, std::unique_ptr<Result>& batch, int& index, Row& r, bool& open) {
    if (!batch || index + 1 >= PQntuples(batch->r)) {
      batch = std::make_unique<Result>(exec("FETCH 10000 FROM c" + std::to_string(t)));
      index = 0;
      if (PQntuples(batch->r) == 0) {
        open = false;
        return;
      }
    } else {
      ++index;
    }
    PGresult* p = batch->r;
    int row = index;
    r.clear();
    int i = 0;
    r.ts_ms = i64(val(p, row, i++));
    auto unit_col = [&](int c) {
      if (!PQgetisnull(p, row, c)) {
        r.has_unit = true;
        r.unit = i64(val(p, row, c));
      }
    };
    if (t == 0) {
      r.kind = RecordKind::reading;
      r.device = val(p, row, i++);
      r.point = val(p, row, i++);
      r.port = val(p, row, i++);
      unit_col(i++);
      r.addr = val(p, row, i++);
      r.value_tag = ValueTag::null;
      if (!PQgetisnull(p, row, i)) {
        r.value_tag = ValueTag::number;
        r.value_num = dbl(val(p, row, i));
      } else if (!PQgetisnull(p, row, i + 1)) {
        r.value_tag = ValueTag::boolean;
        r.value_bool = val(p, row, i + 1) == "t";
      } else if (!PQgetisnull(p, row, i + 2)) {
        r.value_tag = ValueTag::string;
        r.value_text = val(p, row, i + 2);
      }
      i += 3;
      r.raw = val(p, row, i++);
      r.uom = val(p, row, i++);
      r.quality = val(p, row, i++);
      r.error = val(p, row, i++);
      r.alarm = val(p, row, i++);
      r.extra = val(p, row, i++);
    } else if (t == 1) {
      r.kind = RecordKind::alarm;
      r.device = val(p, row, i++);
      r.point = val(p, row, i++);
      r.state = val(p, row, i++);
      r.level = val(p, row, i++);
      r.type = val(p, row, i++);
      if (!PQgetisnull(p, row, i)) {
        r.value_tag = ValueTag::number;
        r.value_num = dbl(val(p, row, i));
      }
      ++i;
      if (!PQgetisnull(p, row, i)) {
        r.has_limit = true;
        r.limit = dbl(val(p, row, i));
      }
      ++i;
      r.uom = val(p, row, i++);
      r.extra = val(p, row, i++);
    } else {
      r.kind = RecordKind::status;
      r.port = val(p, row, i++);
      r.device = val(p, row, i++);
      r.state = val(p, row, i++);
      unit_col(i++);
      r.reason = val(p, row, i++);
      r.extra = val(p, row, i++);
    }
  }

  PGconn* m_conn = nullptr;
  std::size_t m_batch;
  std::array<std::string, 3> m_copy;
  bool m_temp_ready = false;
  std::size_t m_pending = 0;
  std::size_t m_inserted = 0;
};

} // namespace

std::unique_ptr<Store> open_postgres(const std::string& url, std::size_t batch) {
  return std::make_unique<PgStore>(url, batch);
}

} // namespace iot::exporter
