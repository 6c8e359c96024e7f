#!/usr/bin/env bash
# 1,000,000 readings to xlsx: peak RSS (/usr/bin/time -v) must stay under
# 100 MB (constant-memory mode); also reports the time and the file size.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${IOT_BIN:-build/bin}
lines=${LINES:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tests/e2e/export/gen-records "$lines" | gzip -1 >"$tmp/in.jsonl.gz"
/usr/bin/time -v "$bin/iot-export" xlsx "$tmp/in.jsonl.gz" -o "$tmp/out.xlsx" 2>"$tmp/time.txt"
rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$tmp/time.txt")
wall=$(awk '/Elapsed \(wall clock\)/ {print $NF}' "$tmp/time.txt")
printf 'xlsx, %d readings: peak RSS %.1f MB (goal < 100 MB), wall %s, file %.1f MB\n' \
  "$lines" "$(echo "$rss / 1024" | bc -l)" "$wall" "$(echo "$(stat -c %s "$tmp/out.xlsx") / 1048576" | bc -l)"
(( rss < 100 * 1024 )) || { echo "FAIL: RSS over 100 MB" >&2; exit 1; }
