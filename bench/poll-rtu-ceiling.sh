#!/usr/bin/env bash
# RTU over a pty with iot-sim's wire timing: FC03 x125 registers back to back at
# 9600 and 115200 baud 8E1, achieved transactions per second against the wire-time
# ceiling (request 8 + answer 255 bytes of 11 bits, plus two t3.5; goal >= 90 %).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${IOT_BIN:-build/bin}
secs=${SECONDS_PER_RUN:-10}
for baud in 9600 115200; do
  tmp=$(mktemp -d)
  cat >"$tmp/site.toml" <<TOML
[site]
name = "rtu"
[[port]]
name = "bus"
url = "rtu:pty?baud=$baud&parity=E"
[[port.device]]
name = "d1"
unit = 1
[[port.device.point]]
name = "first"
addr = "hr:0"
[[port.device.point]]
name = "last"
addr = "hr:124"
TOML
  "$bin/iot-sim" run -c "$tmp/site.toml" --no-commands >"$tmp/sim.out" 2>&1 &
  sim=$!
  for _ in $(seq 100); do grep -q ready "$tmp/sim.out" && break; sleep 0.05; done
  path=$(grep ready "$tmp/sim.out" | jq -r '.endpoints[0].path')
  "$bin/iot-poll" read "rtu:$path?baud=$baud&parity=E" hr:0:125 --interval 0s --duration "${secs}s" --timeout 1s --format jsonl |
    jq -c 'select(.kind=="stats")' >"$tmp/stats"
  kill $sim
  answers=$(jq .answers "$tmp/stats"); dur=$(jq .duration_s "$tmp/stats")
  t35=$(echo "if ($baud > 19200) 0.00175 else 3.5 * 11 / $baud" | bc -l)
  ceiling=$(echo "1 / ((8 + 255) * 11 / $baud + 2 * $t35)" | bc -l)
  got=$(echo "$answers / $dur" | bc -l)
  printf '%6d baud 8E1: %.2f transactions/s (%.0f registers/s), ceiling %.2f/s: %.1f %% (goal >= 90 %%); bus utilization %s\n' \
    "$baud" "$got" "$(echo "$got * 125" | bc -l)" "$ceiling" "$(echo "100 * $got / $ceiling" | bc -l)" "$(jq .bus_utilization "$tmp/stats")"
  rm -rf "$tmp"
done
