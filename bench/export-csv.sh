#!/usr/bin/env bash
# CSV export of a 200,000-line readings file: iot-export csv against
# `jq -r '[...]|@csv'` and `mlr --ijsonl --ocsv cat` in the same run, best of
# $RUNS (default 3) wall-clock times each. Goal: >= 20x the lines/s of both.
set -euo pipefail
TIMEFILE=$(mktemp)
cd "$(dirname "$0")/.."
bin=${IOT_BIN:-build/bin}
runs=${RUNS:-3}
lines=${LINES:-200000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$TIMEFILE"' EXIT
tests/e2e/export/gen-records "$lines" >"$tmp/in.jsonl"
best() {  # best wall time in seconds of "$@" over $runs runs, output discarded
  local b="" t
  for _ in $(seq "$runs"); do
    t=$(/usr/bin/time -o "$TIMEFILE" -f %e "$@" >/dev/null 2>/dev/null; cat "$TIMEFILE")
    if [[ -z $b ]] || (( $(echo "$t < $b" | bc -l) )); then b=$t; fi
  done
  echo "$b"
}
fields='[.ts,.kind,.port,.unit,.device,.point,.addr,.value,(.raw|tojson),.uom,.quality]'
t_iot=$(best "$bin/iot-export" csv "$tmp/in.jsonl")
t_jq=$(best jq -r "$fields|@csv" "$tmp/in.jsonl")
t_mlr=$(best mlr --ijsonl --ocsv cat "$tmp/in.jsonl")
# Guard against a zero reading for very fast runs (time -f %e has 10 ms steps).
t_iot=$(echo "if ($t_iot < 0.01) 0.01 else $t_iot" | bc -l)
rate() { printf '%.0f' "$(echo "$lines / $1" | bc -l)"; }
printf 'csv export, %d readings (best of %d)\n' "$lines" "$runs"
printf '  iot-export csv : %8.3f s  %10s lines/s\n' "$t_iot" "$(rate "$t_iot")"
printf '  jq @csv        : %8.3f s  %10s lines/s  -> iot-export is %.1fx (goal >= 20x)\n' "$t_jq" "$(rate "$t_jq")" "$(echo "$t_jq / $t_iot" | bc -l)"
printf '  mlr cat        : %8.3f s  %10s lines/s  -> iot-export is %.1fx (goal >= 20x)\n' "$t_mlr" "$(rate "$t_mlr")" "$(echo "$t_mlr / $t_iot" | bc -l)"
