#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "iot/export/store.hpp"

#include "export_test_util.hpp"

using namespace iot;
using namespace iot::exporter;
using export_test::ScratchDir;
using export_test::slurp;

namespace {
const std::string k_records =
    R"({"ts":"2026-11-21T08:00:00.001Z","kind":"reading","port":"bus1","unit":1,"device":"d1","point":"p1","addr":"hr:0","value":1.5,"raw":[15],"uom":"V","quality":"ok"})"
    "\n"
    R"({"ts":"2026-11-21T08:00:00.001Z","kind":"reading","device":"d1","point":"p2","value":true,"src":"x"})"
    "\n"
    R"({"ts":"2026-11-21T08:00:01.002Z","kind":"alarm","device":"d1","point":"p1","state":"raised","level":"HH","type":"HH","value":55,"limit":50})"
    "\n"
    R"({"ts":"2026-11-21T08:00:02.003Z","kind":"status","port":"bus1","unit":2,"device":"d2","state":"offline","reason":"no answer"})"
    "\n"
    R"({"ts":"2026-11-22T08:00:00.000Z","kind":"reading","device":"d2","point":"p1","value":null,"quality":"timeout"})"
    "\n";

std::string query(Store& store, const QueryFilter& f) {
  std::string out;
  store.query(f, [&](const Row& r) {
    write_row(out, r);
    out += '\n';
  });
  return out;
}
} // namespace

TEST_CASE("iot::exporter SQLite store: round trip, idempotent ingest") {
  ScratchDir dir;
  std::string in = dir.file("in.jsonl", k_records);
  auto store = open_sqlite(dir.path("db.sqlite"), 2);
  RecordInput input({in}, false);
  CHECK(ingest(input, *store, {}) == ExitCode::ok);
  CHECK(store->inserted() == 5);
  CHECK(query(*store, {}) == k_records);

  RecordInput again({in}, false);
  auto reopened = open_sqlite(dir.path("db.sqlite"), 1000);
  ingest(again, *reopened, {});
  CHECK(reopened->inserted() == 0);
  CHECK(reopened->count().total() == 5);
}

TEST_CASE("iot::exporter SQLite store: filters, prune and cap") {
  ScratchDir dir;
  auto store = open_sqlite(dir.path("db.sqlite"), 1000);
  RecordInput input({dir.file("in.jsonl", k_records)}, false);
  ingest(input, *store, {});

  QueryFilter f;
  f.device = "d1";
  f.kind = RecordKind::alarm;
  CHECK(
      query(*store, f) ==
      R"({"ts":"2026-11-21T08:00:01.002Z","kind":"alarm","device":"d1","point":"p1","state":"raised","level":"HH","type":"HH","value":55,"limit":50})"
      "\n");
  QueryFilter range;
  range.from_ms = epoch_ms(*parse_ts("2026-11-21T08:00:00.001Z"));
  range.to_ms = epoch_ms(*parse_ts("2026-11-21T08:00:02.003Z")); // exclusive
  range.point = "p1";
  CHECK(
      query(*store, range) ==
      R"({"ts":"2026-11-21T08:00:00.001Z","kind":"reading","port":"bus1","unit":1,"device":"d1","point":"p1","addr":"hr:0","value":1.5,"raw":[15],"uom":"V","quality":"ok"})"
      "\n"
      R"({"ts":"2026-11-21T08:00:01.002Z","kind":"alarm","device":"d1","point":"p1","state":"raised","level":"HH","type":"HH","value":55,"limit":50})"
      "\n");

  auto pruned = store->prune(epoch_ms(*parse_ts("2026-11-21T08:00:01Z")), epoch_ms(*parse_ts("2026-11-22")));
  CHECK(pruned.readings == 0);
  CHECK(pruned.alarms == 1);
  CHECK(pruned.status == 1);
  CHECK(store->count().total() == 3);

  auto capped = store->cap(1);
  CHECK(capped.readings == 2);
  CHECK(
      query(*store, {}) ==
      R"({"ts":"2026-11-22T08:00:00.000Z","kind":"reading","device":"d2","point":"p1","value":null,"quality":"timeout"})"
      "\n");
}

TEST_CASE("iot::exporter SQLite store: retention by age") {
  ScratchDir dir;
  auto store = open_sqlite(dir.path("db.sqlite"), 1000);
  std::string recent =
      R"({"ts":")" + format_ts(now()) + R"(","kind":"reading","device":"d","point":"p","value":1})" + "\n";
  std::string old = R"({"ts":"2020-01-01T00:00:00.000Z","kind":"reading","device":"d","point":"p","value":1})"
                    "\n";
  RecordInput input({dir.file("in.jsonl", old + recent)}, false);
  Retention keep;
  keep.keep_days = 1;
  ingest(input, *store, keep);
  CHECK(store->count().total() == 1);
}

TEST_CASE("iot::exporter::query_records writes JSON Lines to a file") {
  ScratchDir dir;
  auto store = open_sqlite(dir.path("db.sqlite"), 1000);
  RecordInput input({dir.file("in.jsonl", k_records)}, false);
  ingest(input, *store, {});
  query_records(*store, {}, dir.path("out.jsonl"));
  CHECK(slurp(dir.path("out.jsonl")) == k_records);
}

TEST_CASE("iot::exporter SQLite store: write records round trip and are queried by kind") {
  ScratchDir dir;
  const std::string writes =
      R"({"ts":"2026-11-21T08:00:03.000Z","kind":"write","port":"bus1","unit":1,"device":"relay1","point":"k1","addr":"coil:0","fc":5,"value":true,"raw":[1],"ok":true,"quality":"ok","latency_ms":3.25})"
      "\n"
      R"({"ts":"2026-11-21T08:00:04.000Z","kind":"write","port":"bus1","unit":2,"device":"ctrl2","point":"sp","addr":"hr:7","fc":6,"value":12.5,"raw":[125],"ok":false,"quality":"exception","error":"illegal data address","exception":{"code":2}})"
      "\n"
      R"({"ts":"2026-11-21T08:00:05.000Z","kind":"write","port":"sim","unit":3,"device":"m3","addr":"hr:0:2","points":{"a":1,"b":2}})"
      "\n";
  auto store = open_sqlite(dir.path("db.sqlite"), 1000);
  RecordInput input({dir.file("in.jsonl", k_records + writes)}, false);
  CHECK(ingest(input, *store, {}) == ExitCode::ok);
  CHECK(store->count().writes == 3);
  QueryFilter f;
  f.kind = RecordKind::write;
  CHECK(query(*store, f) == writes);
  QueryFilter all;
  CHECK(query(*store, all).find("\"kind\":\"write\"") != std::string::npos);
}

TEST_CASE("iot::exporter SQLite store: the readings key includes the port") {
  ScratchDir dir;
  const std::string two_targets =
      R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","port":"tcp://10.0.0.1:502","unit":1,"device":"unit1","point":"hr:0","value":1})"
      "\n"
      R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","port":"tcp://10.0.0.2:502","unit":1,"device":"unit1","point":"hr:0","value":2})"
      "\n";
  auto store = open_sqlite(dir.path("db.sqlite"), 1000);
  RecordInput input({dir.file("in.jsonl", two_targets)}, false);
  ingest(input, *store, {});
  CHECK(store->count().readings == 2);
  CHECK(query(*store, {}) == two_targets);
}

TEST_CASE("iot::exporter SQLite store: integers beyond 2^53 and wide units come back exactly") {
  ScratchDir dir;
  const std::string big =
      R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","unit":4294967296,"device":"d","point":"u64","value":18446744073709551615})"
      "\n"
      R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"i64","value":-9223372036854775807})"
      "\n"
      R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p53","value":9007199254740993})"
      "\n";
  auto store = open_sqlite(dir.path("db.sqlite"), 1000);
  RecordInput input({dir.file("in.jsonl", big)}, false);
  CHECK(ingest(input, *store, {}) == ExitCode::ok);
  std::string out = query(*store, {});
  CHECK(out.find(R"("value":18446744073709551615)") != std::string::npos);
  CHECK(out.find(R"("value":-9223372036854775807)") != std::string::npos);
  CHECK(out.find(R"("value":9007199254740993)") != std::string::npos);
  CHECK(out.find(R"("unit":4294967296)") != std::string::npos);
}

TEST_CASE("iot::exporter SQLite store: a version 1 file is upgraded, and read as it is when read-only") {
  ScratchDir dir;
  std::string db = dir.path("v1.sqlite");
  {
    // The schema of version 1 (readings keyed by ts, device, point; no writes).
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    const char* v1 = R"sql(
CREATE TABLE readings (ts INTEGER NOT NULL, device TEXT NOT NULL, point TEXT NOT NULL, port TEXT, unit INTEGER,
  addr TEXT, value_num REAL, value_bool INTEGER, value_text TEXT, raw TEXT, uom TEXT, quality TEXT, error TEXT,
  alarm TEXT, extra TEXT, PRIMARY KEY (ts, device, point)) WITHOUT ROWID;
CREATE INDEX readings_device_point_ts ON readings (device, point, ts);
CREATE TABLE alarms (ts INTEGER NOT NULL, device TEXT NOT NULL, point TEXT NOT NULL, state TEXT NOT NULL DEFAULT '',
  level TEXT, type TEXT, value_num REAL, limit_value REAL, uom TEXT, extra TEXT,
  PRIMARY KEY (ts, device, point, state)) WITHOUT ROWID;
CREATE TABLE status (ts INTEGER NOT NULL, port TEXT NOT NULL DEFAULT '', device TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL, unit INTEGER, reason TEXT, extra TEXT, PRIMARY KEY (ts, port, device, state)) WITHOUT ROWID;
INSERT INTO readings (ts, device, point, value_num) VALUES (1000, 'd', 'p', 1.5);
INSERT INTO readings (ts, device, point, port, value_num) VALUES (2000, 'd', 'p', 'bus1', 2.5);
PRAGMA user_version = 1;
)sql";
    REQUIRE(sqlite3_exec(h, v1, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
  }
  const std::string rows =
      R"({"ts":"1970-01-01T00:00:01.000Z","kind":"reading","device":"d","point":"p","value":1.5})"
      "\n"
      R"({"ts":"1970-01-01T00:00:02.000Z","kind":"reading","port":"bus1","device":"d","point":"p","value":2.5})"
      "\n";
  {
    auto ro = open_sqlite(db, 1000, OpenMode::read_only);
    CHECK(query(*ro, {}) == rows);
  }
  auto store = open_sqlite(db, 1000);
  CHECK(query(*store, {}) == rows);
  const std::string more =
      R"({"ts":"1970-01-01T00:00:02.000Z","kind":"reading","port":"bus2","device":"d","point":"p","value":3})"
      "\n"
      R"({"ts":"1970-01-01T00:00:03.000Z","kind":"write","device":"d","point":"p","value":4,"ok":true})"
      "\n";
  RecordInput input({dir.file("more.jsonl", more)}, false);
  CHECK(ingest(input, *store, {}) == ExitCode::ok);
  CHECK(store->count().readings == 3);
  CHECK(store->count().writes == 1);
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  CHECK(sqlite3_column_int(s, 0) == k_schema_version);
  sqlite3_finalize(s);
  sqlite3_close(h);
}

TEST_CASE("iot::exporter SQLite store: a newer schema is refused with its version") {
  ScratchDir dir;
  std::string db = dir.path("v9.sqlite");
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  REQUIRE(sqlite3_exec(h, "PRAGMA user_version = 9", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(h);
  CHECK_THROWS_WITH(open_sqlite(db, 1000), Catch::Contains("schema version 9 is newer"));
  CHECK_THROWS_WITH(open_sqlite(db, 1000, OpenMode::read_only), Catch::Contains("schema version 9 is newer"));
}

TEST_CASE("iot::exporter::ingest commits on the flush interval while the input stays open") {
  ScratchDir dir;
  std::string db = dir.path("live.sqlite");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  int saved = ::dup(0);
  ::dup2(fds[0], 0);
  ::close(fds[0]);
  std::string line = R"({"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"d","point":"p","value":1})"
                     "\n";
  REQUIRE(::write(fds[1], line.data(), line.size()) == static_cast<ssize_t>(line.size()));
  auto store = open_sqlite(db, 50000);
  RecordInput input({}, false);
  std::size_t seen_by_reader = 0;
  IngestTiming timing;
  timing.flush_interval = std::chrono::milliseconds(50);
  // A second connection reads while the ingest runs, from inside the input's
  // idle wait: the pipe is still open, so only the timer can have committed.
  std::thread reader([&] {
    for (int i = 0; i < 2000 && seen_by_reader == 0; ++i) {
      auto ro = open_sqlite(db, 1000, OpenMode::read_only);
      seen_by_reader = ro->count().readings;
      if (seen_by_reader == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::close(fds[1]);
  });
  CHECK(ingest(input, *store, {}, timing) == ExitCode::ok);
  reader.join();
  ::dup2(saved, 0);
  ::close(saved);
  CHECK(seen_by_reader == 1);
}
