#include <catch2/catch.hpp>

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
