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
{
  printf '[site]\nname = "bench"\n[[port]]\nname = "p"\nurl = "tcp://127.0.0.1:%s"\n[[port.device]]\nname = "d1"\nunit = 1\n' "$port"
  for i in $(seq 0 9); do printf '[[port.device.point]]\nname = "r%s"\naddr = "hr:%s"\ngenerator = { kind = "constant", value = %s }\n' "$i" "$i" "$i"; done
} >"$tmp/site.toml"
"$bin/iot-sim" run -c "$tmp/site.toml" --no-commands >"$tmp/sim.out" 2>&1 &
sim=$!
for _ in $(seq 100); do grep -q ready "$tmp/sim.out" && break; sleep 0.05; done
"$bin/iot-poll" read "tcp://127.0.0.1:$port" hr:0:10 --no-stats | grep -q '"quality":"ok"' || { echo "no ok readings" >&2; exit 1; }
best_lib=0 best_poll=0
# Wall-clock rates suffer from a loaded machine, so the CPU time per request of each
# client (user + system, from /usr/bin/time) is printed too.
for round in 1 2 3 4 5; do
  /usr/bin/time -f "%U %S" -o "$tmp/lib.time" "$helpers/poll_libmodbus_loop" 127.0.0.1 "$port" "$n" 10 >"$tmp/lib.out"
  read -r _ _ lib <"$tmp/lib.out"
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$tmp/poll.time" \
    "$bin/iot-poll" read "tcp://127.0.0.1:$port" hr:0:10 --interval 0s --count "$n" --no-stats --format jsonl >/dev/null
  t1=$(date +%s.%N)
  pollr=$(echo "$n / ($t1 - $t0)" | bc -l)
  libcpu=$(awk -v n="$n" '{print 1e6 * ($1 + $2) / n}' "$tmp/lib.time")
  pollcpu=$(awk -v n="$n" '{print 1e6 * ($1 + $2) / n}' "$tmp/poll.time")
  printf 'round %d: libmodbus %.0f req/s (%.1f us CPU/req), iot-poll %.0f req/s (%.1f us CPU/req, %.0f readings/s)\n' \
    "$round" "$lib" "$libcpu" "$pollr" "$pollcpu" "$(echo "$pollr * 10" | bc -l)"
  best_lib=$(echo "if ($lib > $best_lib) $lib else $best_lib" | bc -l)
  best_poll=$(echo "if ($pollr > $best_poll) $pollr else $best_poll" | bc -l)
done
printf 'best: libmodbus %.0f req/s, iot-poll %.0f req/s, ratio %.2f (goal >= 0.90)\n' "$best_lib" "$best_poll" "$(echo "$best_poll / $best_lib" | bc -l)"
