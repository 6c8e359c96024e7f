#!/usr/bin/env bash
# 1,000 devices on 100 TCP ports (one iot-sim endpoint each) with 15 points each,
# polled at 1 Hz: 15,000 points/s. Measures iot-poll's CPU share of one core and
# its peak RSS over a steady window (goals: < 15 % of one core, < 50 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${IOT_BIN:-build/bin}
ports=${PORTS:-100} per=${DEVICES:-10} window=${WINDOW:-20}
tmp=$(mktemp -d); trap 'kill $sim 2>/dev/null || true; rm -rf "$tmp"' EXIT
base=$((20000 + RANDOM % 20000))
{
  printf '[site]\nname = "scale"\n[defaults]\ninterval = "1s"\ntimeout = "500ms"\n'
  for p in $(seq "$ports"); do
    printf '[[port]]\nname = "p%s"\nurl = "tcp://127.0.0.1:%s"\n' "$p" "$((base + p))"
    for u in $(seq "$per"); do
      printf '[[port.device]]\nname = "p%s-d%s"\nunit = %s\n' "$p" "$u" "$u"
      for i in $(seq 0 14); do printf '[[port.device.point]]\nname = "v%s"\naddr = "hr:%s"\n' "$i" "$i"; done
    done
  done
} >"$tmp/site.toml"
"$bin/iot-sim" run -c "$tmp/site.toml" --no-commands >"$tmp/sim.out" 2>&1 &
sim=$!
for _ in $(seq 200); do grep -q ready "$tmp/sim.out" && break; sleep 0.05; done
mkfifo "$tmp/in"; exec 3<>"$tmp/in"
"$bin/iot-poll" run -c "$tmp/site.toml" --format jsonl --exit-on-eof <"$tmp/in" 3>&- 2>"$tmp/poll.err" | wc -l 3>&- >"$tmp/lines" &
pipeline=$!
sleep 0.5
poll=$(pgrep -n -f "iot-poll run -c $tmp/site.toml")
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$poll/stat"; }
sleep 5
c0=$(cpu); t0=$(date +%s.%N)
sleep "$window"
c1=$(cpu); t1=$(date +%s.%N)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$poll/status")
exec 3>&-   # end of stdin: iot-poll stops
wait "$pipeline" || true
lines=$(cat "$tmp/lines")
elapsed=$(echo "$t1 - $t0" | bc -l)
printf '%d devices on %d ports, 15 points each at 1 Hz: CPU %.1f %% of one core, peak RSS %.1f MB, %d records in total\n' \
  "$((ports * per))" "$ports" "$(echo "100 * ($c1 - $c0) / $tck / $elapsed" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$lines"
