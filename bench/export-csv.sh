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
best() {  # best wall time and best CPU time (user + sys) of "$@" over $runs runs
  local b="" c="" t u sy cpu
  for _ in $(seq "$runs"); do
    read -r t u sy < <(/usr/bin/time -o "$TIMEFILE" -f '%e %U %S' "$@" >/dev/null 2>/dev/null; cat "$TIMEFILE")
    cpu=$(echo "$u + $sy" | bc -l)
    if [[ -z $b ]] || (( $(echo "$t < $b" | bc -l) )); then b=$t; fi
    if [[ -z $c ]] || (( $(echo "$cpu < $c" | bc -l) )); then c=$cpu; fi
  done
  echo "$b $c"
}
fields='[.ts,.kind,.port,.unit,.device,.point,.addr,.value,(.raw|tojson),.uom,.quality]'
read -r t_iot c_iot < <(best "$bin/iot-export" csv "$tmp/in.jsonl")
read -r t_jq c_jq < <(best jq -r "$fields|@csv" "$tmp/in.jsonl")
read -r t_mlr c_mlr < <(best mlr --ijsonl --ocsv cat "$tmp/in.jsonl")
# Guard against a zero reading for very fast runs (time has 10 ms steps).
t_iot=$(echo "if ($t_iot < 0.01) 0.01 else $t_iot" | bc -l)
c_iot=$(echo "if ($c_iot < 0.01) 0.01 else $c_iot" | bc -l)
rate() { printf '%.0f' "$(echo "$lines / $1" | bc -l)"; }
printf 'csv export, %d readings (best of %d; wall time, and CPU time which a loaded machine does not inflate)\n' "$lines" "$runs"
printf '  iot-export csv : %7.3f s wall %10s lines/s | %7.3f s CPU\n' "$t_iot" "$(rate "$t_iot")" "$c_iot"
printf '  jq @csv        : %7.3f s wall %10s lines/s | %7.3f s CPU -> iot-export is %.1fx (wall), %.1fx (CPU); goal >= 20x\n' \
  "$t_jq" "$(rate "$t_jq")" "$c_jq" "$(echo "$t_jq / $t_iot" | bc -l)" "$(echo "$c_jq / $c_iot" | bc -l)"
printf '  mlr cat        : %7.3f s wall %10s lines/s | %7.3f s CPU -> iot-export is %.1fx (wall), %.1fx (CPU); goal >= 20x\n' \
  "$t_mlr" "$(rate "$t_mlr")" "$c_mlr" "$(echo "$t_mlr / $t_iot" | bc -l)" "$(echo "$c_mlr / $c_iot" | bc -l)"
