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
# Server CPU in clock ticks: the postmaster with the backends it has reaped
# (cutime, cstime) plus the children still running.
server_ticks() {
  local pm s=0 p f
  pm=$(head -1 "$PG_DIR/data/postmaster.pid")
  for p in "$pm" $(pgrep -P "$pm"); do
    read -r -a f <"/proc/$p/stat" 2>/dev/null || continue
    s=$((s + f[13] + f[14]))
    [[ $p == "$pm" ]] && s=$((s + f[15] + f[16]))
  done
  echo "$s"
}
hz=$(getconf CLK_TCK)
best=""
cpu=""
for _ in $(seq "$runs"); do
  psql -q "$PG_URL" -c "truncate readings, alarms, status; checkpoint"
  s0=$(server_ticks)
  read -r t u sy < <(/usr/bin/time -o "$TIMEFILE" -f '%e %U %S' "$bin/iot-export" postgres --db "$PG_URL" "$T/in.jsonl" >/dev/null 2>/dev/null; cat "$TIMEFILE")
  sleep 0.2  # let the postmaster reap the backends
  s1=$(server_ticks)
  if [[ -z $best ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  c=$(echo "$u + $sy + ($s1 - $s0) / $hz" | bc -l)
  if [[ -z $cpu ]] || (( $(echo "$c < $cpu" | bc -l) )); then cpu=$c; fi
done
again=$(/usr/bin/time -o "$TIMEFILE" -f %e "$bin/iot-export" postgres --db "$PG_URL" "$T/in.jsonl" >/dev/null 2>/dev/null; cat "$TIMEFILE")
"$bin/iot-export" csv --no-header --fields ts,device,point,value "$T/in.jsonl" >"$T/in.csv"
psql -q "$PG_URL" -c "create table anchor(ts timestamptz, device text, point text, value float8)"
t_copy=$(/usr/bin/time -o "$TIMEFILE" -f %e psql -q "$PG_URL" -c "\\copy anchor from '$T/in.csv' csv" >/dev/null 2>/dev/null; cat "$TIMEFILE")
printf 'postgres ingest, %d readings (best of %d)\n' "$lines" "$runs"
printf '  empty tables  : %7.3f s  %8.0f rows/s (goal >= 150000)\n' "$best" "$(echo "$lines / $best" | bc -l)"
# On a shared machine wall time includes waiting for a CPU; CPU time does not.
printf '  CPU (client + server): %7.3f s  %8.0f rows per CPU-second\n' "$cpu" "$(echo "$lines / $cpu" | bc -l)"
printf '  same again    : %7.3f s  %8.0f rows/s (all duplicates, nothing added)\n' "$again" "$(echo "$lines / $again" | bc -l)"
printf '  anchor psql \\copy (4 columns, no index): %7.3f s  %8.0f rows/s\n' "$t_copy" "$(echo "$lines / $t_copy" | bc -l)"
