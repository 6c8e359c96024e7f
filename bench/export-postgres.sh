#!/usr/bin/env bash
# PostgreSQL ingest of a 200,000-line readings file into a private server
# (initdb in a scratch directory, loopback port), best of $RUNS (default 3) into
# emptied tables. Goal: >= 150,000 rows/s. Anchor: psql \copy of the same rows
# as CSV into an unindexed table.
set -euo pipefail
TIMEFILE=$(mktemp)
cd "$(dirname "$0")/.."
export IOT_SOURCE=$PWD
bin=$PWD/${IOT_BIN:-build/bin}
runs=${RUNS:-3}
lines=${LINES:-200000}
. tests/lib.sh
. tests/e2e/export/pg-lib
trap - EXIT
trap '"${_pg_stop_cmd[@]}" >/dev/null 2>&1 || true; rm -rf "$T" "$TIMEFILE"' EXIT
pg_start
trap '"${_pg_stop_cmd[@]}" >/dev/null 2>&1 || true; rm -rf "$T" "$TIMEFILE"' EXIT
tests/e2e/export/gen-records "$lines" >"$T/in.jsonl"
"$bin/iot-export" postgres --db "$PG_URL" /dev/null
best=""
for _ in $(seq "$runs"); do
  psql -q "$PG_URL" -c "truncate readings, alarms, status; checkpoint"
  t=$(/usr/bin/time -o "$TIMEFILE" -f %e "$bin/iot-export" postgres --db "$PG_URL" "$T/in.jsonl" >/dev/null 2>/dev/null; cat "$TIMEFILE")
  if [[ -z $best ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
done
again=$(/usr/bin/time -o "$TIMEFILE" -f %e "$bin/iot-export" postgres --db "$PG_URL" "$T/in.jsonl" >/dev/null 2>/dev/null; cat "$TIMEFILE")
"$bin/iot-export" csv --no-header --fields ts,device,point,value "$T/in.jsonl" >"$T/in.csv"
psql -q "$PG_URL" -c "create table anchor(ts timestamptz, device text, point text, value float8)"
t_copy=$(/usr/bin/time -o "$TIMEFILE" -f %e psql -q "$PG_URL" -c "\\copy anchor from '$T/in.csv' csv" >/dev/null 2>/dev/null; cat "$TIMEFILE")
printf 'postgres ingest, %d readings (best of %d)\n' "$lines" "$runs"
printf '  empty tables  : %7.3f s  %8.0f rows/s (goal >= 150000)\n' "$best" "$(echo "$lines / $best" | bc -l)"
printf '  same again    : %7.3f s  %8.0f rows/s (all duplicates, nothing added)\n' "$again" "$(echo "$lines / $again" | bc -l)"
printf '  anchor psql \\copy (4 columns, no index): %7.3f s  %8.0f rows/s\n' "$t_copy" "$(echo "$lines / $t_copy" | bc -l)"
