#!/usr/bin/env bash
# 1,000 TCP connections to one iot-sim, each polling FC03 x8 at 10 Hz (10,000
# requests/s in all); the simulator's CPU time (utime + stime from /proc) over
# the run, as a share of one core. Target: under 25 %.
# Usage: bench/sim-connections.sh [SECONDS] [CONNECTIONS] [PERIOD_MS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${IOT_BUILD:-build}
secs=${1:-20}
conns=${2:-1000}
period=${3:-100}
free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
port=$(free_port)
"$build/bin/iot-sim" "tcp://127.0.0.1:$port" --units 1-100 --model FC1003-8 --models examples/models/fc1003.toml \
  --no-commands >/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
sleep 0.5
ticks() { awk '{print $14 + $15}' "/proc/$sim/stat"; }
hz=$(getconf CLK_TCK)
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$sim/status")
t0=$(ticks)
start=$(date +%s.%N)
read -r sent answers rate < <("$build/bench/sim_many_clients" 127.0.0.1 "$port" "$conns" "$period" "$secs" 100)
t1=$(ticks)
end=$(date +%s.%N)
rss1=$(awk '/VmRSS/ {print $2}' "/proc/$sim/status")
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$start" -v e="$end" -v sent="$sent" -v got="$answers" -v r0="$rss0" -v r1="$rss1" -v c="$conns" 'BEGIN {
  cpu = (b - a) / hz; wall = e - s;
  printf "connections %d, requests sent %d, answers %d (%.0f/s)\n", c, sent, got, got / wall;
  printf "iot-sim CPU %.2f s over %.1f s = %.1f %% of one core\n", cpu, wall, 100 * cpu / wall;
  printf "iot-sim RSS %d kB idle, %d kB with %d connections\n", r0, r1, c }'
