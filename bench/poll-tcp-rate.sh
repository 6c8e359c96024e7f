#!/usr/bin/env bash
# One TCP connection, FC03 for 10 registers: iot-poll (10 u16 readings per request,
# records to /dev/null) against a bare libmodbus read loop, same iot-sim server,
# same run. Prints requests per second of each and the ratio (goal >= 0.9).
#
# Rounds alternate which client goes first (so neither always meets a warmer or a
# busier machine) and the medians are reported. Two ratios:
#   ratio       iot-poll's whole process (exec, site and CLI parsing, connect, N
#               requests, exit) against the libmodbus loop's own timing of its N
#               requests (no exec, no connect): the conservative one, the goal.
#   like-for-like  both timed the same way, as whole processes.
# CPU time per request is user + system of each client process (from wait4), which
# a loaded machine disturbs far less than wall-clock rates.
#   N=50000 ROUNDS=11 bench/poll-tcp-rate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${IOT_BIN:-build/bin}; helpers=${IOT_BUILD:-build}/bench
n=${N:-50000}
rounds=${ROUNDS:-11}
port=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()')
tmp=$(mktemp -d); trap 'kill $sim 2>/dev/null || true; rm -rf "$tmp"' EXIT
{
  printf '[site]\nname = "bench"\n[[port]]\nname = "p"\nurl = "tcp://127.0.0.1:%s"\n[[port.device]]\nname = "d1"\nunit = 1\n' "$port"
  for i in $(seq 0 9); do printf '[[port.device.point]]\nname = "r%s"\naddr = "hr:%s"\ngenerator = { kind = "constant", value = %s }\n' "$i" "$i" "$i"; done
} >"$tmp/site.toml"
"$bin/iot-sim" run -c "$tmp/site.toml" --no-commands >"$tmp/sim.out" 2>&1 &
sim=$!
for _ in $(seq 100); do grep -qs ready "$tmp/sim.out" && break; sleep 0.05; done
"$bin/iot-poll" read "tcp://127.0.0.1:$port" hr:0:10 --no-stats | grep -q '"quality":"ok"' || { echo "no ok readings" >&2; exit 1; }

# measure OUT TIMES CMD...: runs CMD with stdout to OUT; writes "wall_s user_s sys_s" to TIMES.
measure() {
  /usr/bin/python3 - "$@" <<'EOF'
import os, sys, time
out, times, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(fd, 1)
    os.execvp(cmd[0], cmd)
_, status, ru = os.wait4(pid, 0)
t1 = time.perf_counter()
with open(times, "w") as f:
    f.write(f"{t1 - t0} {ru.ru_utime} {ru.ru_stime}\n")
sys.exit(os.waitstatus_to_exitcode(status))
EOF
}
run_lib() {
  measure "$tmp/lib.out" "$tmp/lib.time" "$helpers/poll_libmodbus_loop" 127.0.0.1 "$port" "$n" 10
}
run_poll() {
  measure /dev/null "$tmp/poll.time" \
    "$bin/iot-poll" read "tcp://127.0.0.1:$port" hr:0:10 --interval 0s --count "$n" --no-stats --format jsonl
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

: >"$tmp/rounds"
printf 'load average before: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  if ((round % 2)); then run_lib; run_poll; first=libmodbus; else run_poll; run_lib; first=iot-poll; fi
  read -r _ _ lib_loop <"$tmp/lib.out"
  read -r lib_wall lib_user lib_sys <"$tmp/lib.time"
  read -r poll_wall poll_user poll_sys <"$tmp/poll.time"
  awk -v n="$n" -v round="$round" -v first="$first" -v ll="$lib_loop" -v f="$tmp/rounds" \
      -v lw="$lib_wall" -v lu="$lib_user" -v ls="$lib_sys" -v pw="$poll_wall" -v pu="$poll_user" -v ps="$poll_sys" 'BEGIN {
    lp = n / lw; pr = n / pw; lc = 1e6 * (lu + ls) / n; pc = 1e6 * (pu + ps) / n
    printf "round %d (%s first): libmodbus %.0f req/s in its loop, %.0f as a process (%.2f us CPU/req); iot-poll %.0f req/s as a process (%.2f us CPU/req, %.0f readings/s); ratio %.2f, like-for-like %.2f, CPU %.2f\n",
      round, first, ll, lp, lc, pr, pc, pr * 10, pr / ll, pr / lp, pc / lc
    print ll, lp, lc, pr, pc, pr / ll, pr / lp, pc / lc >>f
  }'
done
col() { awk -v c="$1" '{print $c}' "$tmp/rounds" | median; }
printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'median of %d rounds of %d requests: libmodbus %.0f req/s (loop), %.0f req/s (process), %.2f us CPU/req; iot-poll %.0f req/s (process), %.2f us CPU/req\n' \
  "$rounds" "$n" "$(col 1)" "$(col 2)" "$(col 3)" "$(col 4)" "$(col 5)"
printf 'median ratio %.2f (goal >= 0.90); like-for-like %.2f; CPU per request iot-poll/libmodbus %.2f\n' \
  "$(col 6)" "$(col 7)" "$(col 8)"
