#!/usr/bin/env bash
# One TCP connection, FC03 for 10 registers: iot-poll (10 u16 readings per request,
# records to /dev/null) against a bare libmodbus read loop, same iot-sim server,
# same run. Prints requests per second of each and the ratio (goal >= 0.9).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${IOT_BIN:-build/bin}; helpers=${IOT_BUILD:-build}/bench
n=${N:-20000}
port=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
tmp=$(mktemp -d); trap 'kill $sim 2>/dev/null || true; rm -rf "$tmp"' EXIT
cat >"$tmp/site.toml" <<TOML
[site]
name = "bench"
[[port]]
name = "p"
url = "tcp://127.0.0.1:$port"
[[port.device]]
name = "d1"
unit = 1
[[port.device.point]]
name = "r"
addr = "hr:0"
[[port.device.point]]
name = "r9"
addr = "hr:9"
TOML
"$bin/iot-sim" run -c "$tmp/site.toml" --no-commands >"$tmp/sim.out" 2>&1 &
sim=$!
for _ in $(seq 100); do grep -q ready "$tmp/sim.out" && break; sleep 0.05; done
best_lib=0 best_poll=0
for round in 1 2 3; do
  read -r _ _ lib < <("$helpers/poll_libmodbus_loop" 127.0.0.1 "$port" "$n" 10)
  t0=$(date +%s.%N)
  "$bin/iot-poll" read "tcp://127.0.0.1:$port" hr:0:10 --interval 0s --count "$n" --no-stats --format jsonl >/dev/null
  t1=$(date +%s.%N)
  pollr=$(echo "$n / ($t1 - $t0)" | bc -l)
  printf 'round %d: libmodbus %.0f req/s, iot-poll %.0f req/s (%.0f readings/s)\n' "$round" "$lib" "$pollr" "$(echo "$pollr * 10" | bc -l)"
  best_lib=$(echo "if ($lib > $best_lib) $lib else $best_lib" | bc -l)
  best_poll=$(echo "if ($pollr > $best_poll) $pollr else $best_poll" | bc -l)
done
printf 'best: libmodbus %.0f req/s, iot-poll %.0f req/s, ratio %.2f (goal >= 0.90)\n' "$best_lib" "$best_poll" "$(echo "$best_poll / $best_lib" | bc -l)"
