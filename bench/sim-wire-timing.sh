#!/usr/bin/env bash
# Wire timing of iot-sim on a pty at 9600 baud 8E1 (11 bits per character):
# how long the reply to FC03 x10 registers (25 bytes) occupies the line, measured
# on the reading side of the pty, against its wire time (25 x 11 / 9600 s =
# 28.65 ms). Target: within 5 %.
# Usage: bench/sim-wire-timing.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${IOT_BUILD:-build}
rounds=${1:-50}
out=$(mktemp)
"$build/bin/iot-sim" "rtu:pty?baud=9600&parity=E&stop=1" --model BENCH-125 --models bench/sim-models.toml \
  --no-commands >"$out" &
sim=$!
trap 'kill $sim 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q ready "$out" && break; sleep 0.1; done
pty=$(grep -o '"path":"[^"]*"' "$out" | cut -d'"' -f4)
"$build/bench/sim_wire_timing" "$pty" 9600 11 "$rounds"
