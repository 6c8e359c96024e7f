#!/usr/bin/env bash
# SQLite ingest of a 200,000-line readings file into a new database (best of
# $RUNS, default 3), and a second, idempotent ingest of the same file.
# Goal: >= 200,000 rows/s. Anchor: the sqlite3 shell's .import of the same rows
# as CSV into an unindexed table (the floor any SQLite loader pays), if installed.
set -euo pipefail
TIMEFILE=$(mktemp)
cd "$(dirname "$0")/.."
bin=${IOT_BIN:-build/bin}
runs=${RUNS:-3}
lines=${LINES:-200000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$TIMEFILE"' EXIT
tests/e2e/export/gen-records "$lines" >"$tmp/in.jsonl"
best=""
cpu=""
for _ in $(seq "$runs"); do
  rm -f "$tmp"/db*
  read -r t u s < <(/usr/bin/time -o "$TIMEFILE" -f '%e %U %S' "$bin/iot-export" sqlite --db "$tmp/db" "$tmp/in.jsonl" >/dev/null 2>/dev/null; cat "$TIMEFILE")
  if [[ -z $best ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  c=$(echo "$u + $s" | bc -l)
  if [[ -z $cpu ]] || (( $(echo "$c < $cpu" | bc -l) )); then cpu=$c; fi
done
again=$(/usr/bin/time -o "$TIMEFILE" -f %e "$bin/iot-export" sqlite --db "$tmp/db" "$tmp/in.jsonl" >/dev/null 2>/dev/null; cat "$TIMEFILE")
printf 'sqlite ingest, %d readings (best of %d)\n' "$lines" "$runs"
printf '  new database  : %7.3f s  %8.0f rows/s (goal >= 200000)\n' "$best" "$(echo "$lines / $best" | bc -l)"
# On a shared machine wall time includes waiting for a CPU; CPU time does not.
printf '  CPU time      : %7.3f s  %8.0f rows per CPU-second\n' "$cpu" "$(echo "$lines / $cpu" | bc -l)"
printf '  same again    : %7.3f s  %8.0f rows/s (all duplicates, nothing added)\n' "$again" "$(echo "$lines / $again" | bc -l)"
if command -v sqlite3 >/dev/null; then
  "$bin/iot-export" csv --no-header --fields ts,device,point,value "$tmp/in.jsonl" >"$tmp/in.csv"
  t=$(/usr/bin/time -o "$TIMEFILE" -f %e sqlite3 "$tmp/anchor.db" "create table r(ts,device,point,value)" ".mode csv" ".import $tmp/in.csv r" >/dev/null 2>/dev/null; cat "$TIMEFILE")
  printf '  anchor sqlite3 .import (4 columns, no index): %7.3f s  %8.0f rows/s\n' "$t" "$(echo "$lines / $t" | bc -l)"
fi
