#!/usr/bin/env bash
# iot-sim against the libmodbus server loop (modbus_receive + modbus_reply), in
# the same run: one TCP connection, FC03 for 10 registers, a libmodbus client
# loop as fast as answers come. Prints requests/s of each and the ratio.
# Usage: bench/sim-throughput.sh [SECONDS_PER_RUN] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${IOT_BUILD:-build}
secs=${1:-5}
rounds=${2:-3}
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

p1=$(free_port)
"$build/bench/modbus_reply_server" "$p1" >/dev/null &
pids+=($!)
p2=$(free_port)
"$build/bin/iot-sim" "tcp://127.0.0.1:$p2" --model BENCH-125 --models bench/sim-models.toml --no-commands >/dev/null &
pids+=($!)
sleep 0.5

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
lib=() sim=()
for ((r = 0; r < rounds; r++)); do
  # modbus_reply_server serves one connection at a time; each run is a new one.
  lib+=("$("$build/bench/sim_read_loop" 127.0.0.1 "$p1" "$secs" 10 1 | cut -d' ' -f1)")
  sim+=("$("$build/bench/sim_read_loop" 127.0.0.1 "$p2" "$secs" 10 1 | cut -d' ' -f1)")
done
l=$(printf '%s\n' "${lib[@]}" | median)
s=$(printf '%s\n' "${sim[@]}" | median)
echo "libmodbus modbus_reply server: ${lib[*]} requests/s (median $l)"
echo "iot-sim:                       ${sim[*]} requests/s (median $s)"
awk -v s="$s" -v l="$l" 'BEGIN { printf "ratio iot-sim / libmodbus: %.2f\n", s / l }'
