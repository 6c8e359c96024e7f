#!/usr/bin/env bash
# Benchmarks of iot-mqtt-bridge against the Mosquitto clients, side by side in
# one run on one Mosquitto broker on a free loopback port:
#   1. pub QoS 0 vs `mosquitto_pub -l -q 0` on the same file (lines/s, ratio)
#   2. pub QoS 1: messages/s with every message acknowledged, and all of them
#      counted by a subscriber
#   3. sub vs `mosquitto_sub -F %j` receiving the same QoS 0 stream (messages/s, ratio)
# Usage: bench/mqtt-bridge.sh [LINES]   (default 200000). Not a test: prints figures.
set -euo pipefail
N=${1:-200000}
here=$(cd "$(dirname "$0")/.." && pwd)
BIN=${IOT_BIN:-$here/build/bin}
T=$(mktemp -d "${TMPDIR:-/tmp}/iot-bench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
port=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000000\nmax_inflight_messages 0\n' "$port" >"$T/m.conf"
/usr/sbin/mosquitto -c "$T/m.conf" 2>"$T/m.log" &
pids+=($!)
sleep 0.5
/usr/bin/python3 - "$N" "$T/in.jsonl" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        f.write('{"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"dev%d","point":"p%d","value":%d.5,"uom":"V","quality":"ok"}\n' % (i % 7, i % 3, i))
PY
secs() { /usr/bin/python3 -c 'import time;print(time.monotonic())'; }
rate() { /usr/bin/python3 -c "print(f'{$1/($3-$2):,.0f}')"; }
ratio() { /usr/bin/python3 -c "print(f'{($2)/($1):.2f}')"; }  # time_anchor/time_ours = our speed-up

count_sub() {  # count_sub NAME N: mosquitto_sub counting N messages on bench/#
  mosquitto_sub -h 127.0.0.1 -p "$port" -t 'bench/#' -q "${3:-0}" -C "$2" -F '%m' >/dev/null &
  eval "$1=$!"
  pids+=($!)
  sleep 0.3
}

echo "iot-mqtt-bridge benchmarks: $N lines of $(($(wc -c <"$T/in.jsonl") / N)) bytes, Mosquitto $(/usr/sbin/mosquitto -h | head -1 | awk '{print $3}') on 127.0.0.1:$port"

# 1. QoS 0
t0=$(secs); mosquitto_pub -h 127.0.0.1 -p "$port" -q 0 -l -t bench/x <"$T/in.jsonl"; t1=$(secs)
t2=$(secs); "$BIN/iot-mqtt-bridge" pub -b "mqtt://127.0.0.1:$port" -q 0 -t 'bench/{device}/{point}' --no-stats <"$T/in.jsonl"; t3=$(secs)
echo "pub QoS 0:  mosquitto_pub -l $(rate "$N" "$t0" "$t1") lines/s, iot-mqtt-bridge $(rate "$N" "$t2" "$t3") lines/s, ratio $(ratio "$t3-$t2" "$t1-$t0")x"

# 2. QoS 1, all delivered
count_sub c1 "$N" 1
t0=$(secs)
"$BIN/iot-mqtt-bridge" pub -b "mqtt://127.0.0.1:$port" -q 1 -t 'bench/{device}/{point}' <"$T/in.jsonl" >"$T/stats"
t1=$(secs)
wait "$c1"
t2=$(secs)
acked=$(jq '.acknowledged' "$T/stats")
echo "pub QoS 1:  $(rate "$N" "$t0" "$t1") msg/s acknowledged ($acked of $N), all $N received by a subscriber $(python3 -c "print(f'{$t2-$t1:.2f}')") s after pub exited"

# 3. sub vs mosquitto_sub -F %j on the same QoS 0 stream, sent by mosquitto_pub -l
"$BIN/iot-mqtt-bridge" sub -b "mqtt://127.0.0.1:$port" -t 'bench/#' >"$T/ours.jsonl" 2>/dev/null &
ours=$!; pids+=($ours)
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'bench/#' -F '%j' >"$T/theirs.jsonl" &
theirs=$!; pids+=($theirs)
until [[ -s $T/ours.jsonl && -s $T/theirs.jsonl ]]; do  # both subscribed
  mosquitto_pub -h 127.0.0.1 -p "$port" -t bench/warm -m w -q 0
  sleep 0.3
done
sleep 0.3
base_o=$(wc -l <"$T/ours.jsonl"); base_t=$(wc -l <"$T/theirs.jsonl")
t0=$(secs)
mosquitto_pub -h 127.0.0.1 -p "$port" -q 0 -l -t bench/x <"$T/in.jsonl"
t_o=""; t_t=""
while [[ -z $t_o || -z $t_t ]]; do
  [[ -z $t_t && $(wc -l <"$T/theirs.jsonl") -ge $((base_t + N)) ]] && t_t=$(secs)
  [[ -z $t_o && $(wc -l <"$T/ours.jsonl") -ge $((base_o + N)) ]] && t_o=$(secs)
  sleep 0.02
done
echo "sub:        mosquitto_sub -F %j $(rate "$N" "$t0" "$t_t") msg/s, iot-mqtt-bridge sub $(rate "$N" "$t0" "$t_o") msg/s, ratio $(ratio "$t_o-$t0" "$t_t-$t0")x"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
