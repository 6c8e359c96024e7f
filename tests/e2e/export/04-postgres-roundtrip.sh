#!/usr/bin/env bash
# postgres + query against a private PostgreSQL server: the records come back
# equal, a second ingest adds nothing, prune deletes a range.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/export/pg-lib"
need jq
pg_start
"$IOT_SOURCE/tests/e2e/export/gen-records" 20000 2026-11-20T23:55:00 --events >"$T/in.jsonl"
cat >>"$T/in.jsonl" <<'J'
{"ts":"2026-11-21T08:00:00.999Z","kind":"reading","device":"d9","point":"flag","value":false,"quality":"ok","src":"x"}
{"ts":"2026-11-21T08:00:00.999Z","kind":"reading","device":"d9","point":"name","value":"tab\there \\ \"q\" ünï","quality":"ok"}
{"ts":"2026-11-21T08:00:01.000Z","kind":"reading","device":"d9","point":"nothing","value":null,"quality":"timeout","error":"no answer"}
{"ts":"2026-11-21T08:00:01.001Z","kind":"reading","device":"d9","point":"tiny","value":1.2345678901234567e-300,"quality":"ok"}
{"ts":"1999-12-31T23:59:59.999Z","kind":"reading","device":"d9","point":"old","value":-0.5,"quality":"ok"}
{"ts":"2026-11-21T08:00:03.000Z","kind":"status","port":"bus9","state":"disconnected","reason":"line1\nline2"}
J
iot-export postgres --db "$PG_URL" --batch 7000 "$T/in.jsonl"
iot-export query --db "$PG_URL" >"$T/out.jsonl"
validate_records "$T/out.jsonl"
jq -cS . "$T/in.jsonl" | sort >"$T/a"
jq -cS . "$T/out.jsonl" | sort >"$T/b"
cmp -s "$T/a" "$T/b" || fail "records differ after the round trip: $(diff "$T/a" "$T/b" | head -5)"
jq -r .ts "$T/out.jsonl" | sort -c || fail "query output is not in time order"

iot-export postgres --db "$PG_URL" "$T/in.jsonl" -v 2>"$T/again.err"
assert_contains "$(cat "$T/again.err")" "0 new rows stored"
assert_eq "$(iot-export query --db "$PG_URL" | wc -l)" "$(wc -l <"$T/in.jsonl")" "rows after a second ingest"

n=$(iot-export query --db "$PG_URL" --device ctrl2 --point ch3 --from 2026-11-20T23:56:00Z --to 2026-11-20T23:57:00Z | wc -l)
assert_eq "$n" 60 "readings of one point in one minute"
iot-export prune --db "$PG_URL" --from 2026-11-21T00:00:00Z --to 2026-11-21T00:01:00Z
assert_eq "$(iot-export query --db "$PG_URL" --from 2026-11-21T00:00:00Z --to 2026-11-21T00:01:00Z | wc -l)" 0 "pruned range"
iot-export prune --db "$PG_URL" --max-rows 10
assert_eq "$(iot-export query --db "$PG_URL" --kind reading | wc -l)" 10 "capped readings"
# The time column is a real timestamptz (TimescaleDB can make it a hypertable).
assert_eq "$(psql "$PG_URL" -Atc "select data_type from information_schema.columns where table_name='readings' and column_name='ts'")" \
  "timestamp with time zone" "ts column type"
assert_status 4 iot-export query --db "postgresql://postgres@127.0.0.1:1/none"
