#!/usr/bin/env bash
# Benchmarks of iot-mqtt-bridge against the Mosquitto clients, side by side in
# one run on one Mosquitto broker on a free loopback port:
#   1. pub QoS 0 vs `mosquitto_pub -l -q 0` on the same file (lines/s, ratio)
#   2. pub QoS 1: messages/s with every message acknowledged, and all of them
#      counted by a subscriber; beside it the broker's own CPU use, which on a
#      small machine is the ceiling for any client
#   3. sub vs `mosquitto_sub -F %j` receiving the same QoS 0 stream (messages/s, ratio)
#   4. sub vs `mosquitto_sub -F %j` draining LINES QoS 1 messages queued on the
#      broker for a kept session (-c) while the subscriber was away (ratio)
# Each is repeated ROUNDS times (pub rounds alternate which client goes first)
# and medians are reported, with CPU time (user + system, from wait4) beside the
# wall-clock rates, which a loaded machine disturbs far more.
# Usage: [ROUNDS=5] bench/mqtt-bridge.sh [LINES]   (default 200000). Not a test.
set -euo pipefail
N=${1:-200000}
ROUNDS=${ROUNDS:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
BIN=${IOT_BIN:-$here/build/bin}
T=$(mktemp -d "${TMPDIR:-/tmp}/iot-bench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
port=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000000\nmax_inflight_messages 0\n' "$port" >"$T/m.conf"
/usr/sbin/mosquitto -c "$T/m.conf" 2>"$T/m.log" &
broker=$!
pids+=($broker)
sleep 0.5
/usr/bin/python3 - "$N" "$T/in.jsonl" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        f.write('{"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"dev%d","point":"p%d","value":%d.5,"uom":"V","quality":"ok"}\n' % (i % 7, i % 3, i))
PY

# measure TIMES CMD... <in >out: runs CMD, writes "wall_s cpu_s end_epoch_s" to TIMES.
measure() {
  /usr/bin/python3 -c '
import os, sys, time
times, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
_, status, ru = os.wait4(pid, 0)
t1 = time.perf_counter()
open(times, "w").write(f"{t1 - t0} {ru.ru_utime + ru.ru_stime} {time.time()}\n")
sys.exit(os.waitstatus_to_exitcode(status))' "$@"
}
# CPU seconds the broker has used so far (utime + stime from /proc, in clock ticks)
broker_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$broker/stat"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
fmt() { /usr/bin/python3 -c "print(f'{$1:,.0f}')"; }
col() { awk -v c="$2" '{print $c}' "$1" | median; }

echo "iot-mqtt-bridge benchmarks: $N lines of $(($(wc -c <"$T/in.jsonl") / N)) bytes, $ROUNDS rounds, Mosquitto $(/usr/sbin/mosquitto -h | head -1 | awk '{print $3}') on 127.0.0.1:$port"

# 1. QoS 0, alternating order
: >"$T/q0.ours"; : >"$T/q0.theirs"
run_theirs() { measure "$T/t" mosquitto_pub -h 127.0.0.1 -p "$port" -q 0 -l -t bench/x <"$T/in.jsonl"; cat "$T/t" >>"$T/q0.theirs"; }
run_ours() { measure "$T/t" "$BIN/iot-mqtt-bridge" pub -b "mqtt://127.0.0.1:$port" -q 0 -t 'bench/{device}/{point}' --no-stats <"$T/in.jsonl"; cat "$T/t" >>"$T/q0.ours"; }
for ((r = 0; r < ROUNDS; r++)); do
  if ((r % 2)); then run_ours; run_theirs; else run_theirs; run_ours; fi
done
paste "$T/q0.theirs" "$T/q0.ours" | awk '{print $1/$4}' >"$T/q0.ratio"
paste "$T/q0.theirs" "$T/q0.ours" | awk '{print $2/$5}' >"$T/q0.cpuratio"
echo "pub QoS 0:  median mosquitto_pub -l $(fmt "$N/$(col "$T/q0.theirs" 1)") lines/s, iot-mqtt-bridge $(fmt "$N/$(col "$T/q0.ours" 1)") lines/s;" \
  "median ratio $(median <"$T/q0.ratio")x (CPU time ratio $(median <"$T/q0.cpuratio")x; per round: $(tr '\n' ' ' <"$T/q0.ratio"))"

# 2. QoS 1, all delivered (a subscriber counts them)
: >"$T/q1"
for ((r = 0; r < ROUNDS; r++)); do
  mosquitto_sub -h 127.0.0.1 -p "$port" -t "bench$r/#" -q 1 -C "$N" -F '%m' >/dev/null &
  c1=$!; pids+=($c1)
  sleep 0.3
  b0=$(broker_cpu)
  measure "$T/t" "$BIN/iot-mqtt-bridge" pub -b "mqtt://127.0.0.1:$port" -q 1 -t "bench$r/{device}/{point}" <"$T/in.jsonl" >"$T/stats"
  wait "$c1"  # returns only once the subscriber has all N
  [[ $(jq '.acknowledged' "$T/stats") == "$N" ]] || { echo "QoS 1: not all acknowledged: $(cat "$T/stats")" >&2; exit 1; }
  # the broker's CPU seconds over the round, beside pub's wall and CPU seconds
  echo "$(cat "$T/t") $(awk -v a="$b0" -v b="$(broker_cpu)" 'BEGIN{print b - a}')" >>"$T/q1"
done
echo "pub QoS 1:  median $(fmt "$N/$(col "$T/q1" 1)") msg/s acknowledged, all $N received by a subscriber in every round" \
  "($(fmt "$(col "$T/q1" 2)*1e6/$N") us CPU per message); the broker was busy $(awk '{print $4 / $1}' "$T/q1" | median) of a core" \
  "($(fmt "$(col "$T/q1" 4)*1e6/$N") us broker CPU per message relayed)"

# 3. sub vs mosquitto_sub -F %j on the same QoS 0 stream, sent by mosquitto_pub -l
: >"$T/sub.ours"; : >"$T/sub.theirs"
for ((r = 0; r < ROUNDS; r++)); do
  measure "$T/so" "$BIN/iot-mqtt-bridge" sub -b "mqtt://127.0.0.1:$port" -t "sub$r/#" -C $((N + 1)) >/dev/null 2>&1 &
  ours=$!; pids+=($ours)
  measure "$T/st" mosquitto_sub -h 127.0.0.1 -p "$port" -t "sub$r/#" -F '%j' -C $((N + 1)) >/dev/null &
  theirs=$!; pids+=($theirs)
  sleep 0.8  # both subscribed
  mosquitto_pub -h 127.0.0.1 -p "$port" -q 0 -t "sub$r/warm" -m w
  start=$(/usr/bin/python3 -c 'import time;print(time.time())')
  mosquitto_pub -h 127.0.0.1 -p "$port" -q 0 -l -t "sub$r/x" <"$T/in.jsonl"
  wait "$ours" "$theirs"
  # seconds from the first message sent to the subscriber's exit after the last, and CPU
  awk -v s="$start" '{print $3 - s, $2}' "$T/so" >>"$T/sub.ours"
  awk -v s="$start" '{print $3 - s, $2}' "$T/st" >>"$T/sub.theirs"
done
paste "$T/sub.theirs" "$T/sub.ours" | awk '{print $1/$3}' >"$T/sub.ratio"
paste "$T/sub.theirs" "$T/sub.ours" | awk '{print $2/$4}' >"$T/sub.cpuratio"
echo "sub:        median mosquitto_sub -F %j $(fmt "$N/$(col "$T/sub.theirs" 1)") msg/s, iot-mqtt-bridge sub $(fmt "$N/$(col "$T/sub.ours" 1)") msg/s;" \
  "median ratio $(median <"$T/sub.ratio")x (CPU time ratio $(median <"$T/sub.cpuratio")x)"
# 4. draining a queue of N QoS 1 messages kept for a session, alternating order
: >"$T/drain.ours"; : >"$T/drain.theirs"
drain() { # WHO ROUND: queue N messages for a fresh session, then time draining them
  local who=$1 r=$2 id="drain-$1-$2" topic="dq$2$1/x"
  mosquitto_sub -h 127.0.0.1 -p "$port" -i "$id" -c -q 1 -t "$topic" -E
  # Queued by iot-mqtt-bridge pub at QoS 1, which ends only when the broker has
  # acknowledged every message: `mosquitto_pub -l -q 1` can end with some unsent,
  # and then a receiver waiting for all N never ends.
  "$BIN/iot-mqtt-bridge" pub -b "mqtt://127.0.0.1:$port" -q 1 -t "$topic" <"$T/in.jsonl" >"$T/qstats"
  [[ $(jq '.acknowledged' "$T/qstats") == "$N" ]] || { echo "drain: queueing not acknowledged: $(cat "$T/qstats")" >&2; exit 1; }
  if [[ $who == ours ]]; then
    measure "$T/d" timeout 300 "$BIN/iot-mqtt-bridge" sub -b "mqtt://127.0.0.1:$port" -i "$id" -c -q 1 -t "$topic" -C "$N" >/dev/null 2>&1
  else
    measure "$T/d" timeout 300 mosquitto_sub -h 127.0.0.1 -p "$port" -i "$id" -c -q 1 -t "$topic" -F '%j' -C "$N" >/dev/null
  fi
  cat "$T/d" >>"$T/drain.$who"
}
for ((r = 0; r < ROUNDS; r++)); do
  if ((r % 2)); then drain ours "$r"; drain theirs "$r"; else drain theirs "$r"; drain ours "$r"; fi
done
paste "$T/drain.theirs" "$T/drain.ours" | awk '{print $1/$4}' >"$T/drain.ratio"
paste "$T/drain.theirs" "$T/drain.ours" | awk '{print $2/$5}' >"$T/drain.cpuratio"
echo "sub drain:  $N QoS 1 messages queued for a kept session: median mosquitto_sub -F %j $(fmt "$N/$(col "$T/drain.theirs" 1)") msg/s," \
  "iot-mqtt-bridge sub $(fmt "$N/$(col "$T/drain.ours" 1)") msg/s; median ratio $(median <"$T/drain.ratio")x" \
  "(CPU time ratio $(median <"$T/drain.cpuratio")x; per round: $(tr '\n' ' ' <"$T/drain.ratio"))"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
