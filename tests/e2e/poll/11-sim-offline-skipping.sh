#!/usr/bin/env bash
# Offline skipping on an RS-485 bus simulated by iot-sim on a pty with wire timing
# at 9600 baud: 3 of 10 devices go silent (iot-sim stdin faults). Offline records
# come after offline_after misses, the healthy devices' cycle time afterwards stays
# within 1.1x the all-online cycle time (median of record time stamps), and each
# device is online again within one reconnect interval (plus the cycle in which the
# probe falls) of coming back.
# ctest-labels: no-sanitizer
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq
{
  printf '[site]\nname = "bus"\n[defaults]\ninterval = "10ms"\ntimeout = "100ms"\nretries = 0\noffline_after = 3\nreconnect = "2s"\n'
  printf '[[port]]\nname = "bus"\nurl = "rtu:pty?baud=9600&parity=N"\n'
  for u in $(seq 10); do
    printf '[[port.device]]\nname = "d%s"\nunit = %s\n[[port.device.point]]\nname = "v"\naddr = "hr:0"\ngenerator = { kind = "constant", value = %s }\n' "$u" "$u" "$u"
  done
} >"$T/sim.toml"
start_sim sim "$T/sim.toml"
path=$(jq -r 'select(.kind=="ready") | .endpoints[0].path' "$T/sim.out")
[[ -e $path ]] || fail "no pty from iot-sim: $path"
sed "s|rtu:pty|rtu:$path|" "$T/sim.toml" >"$T/poll.toml"
open_input poll
bg_in poll "$T/poll.in" iot-poll run -c "$T/poll.toml" --format jsonl --exit-on-eof
wait_for_line "$T/poll.out" '"device":"d10","point":"v"' 10
sleep 3
t_fault=$(date +%s.%N)
for d in d3 d6 d9; do sim_cmd sim "{\"cmd\":\"fault\",\"device\":\"$d\",\"kind\":\"timeout\"}"; done
for d in d3 d6 d9; do wait_for_line "$T/poll.out" "\"device\":\"$d\",\"state\":\"offline\"" 10; done
sleep 4.5
t_back=$(date +%s.%N)
sim_cmd sim '{"cmd":"clear"}'
for d in d3 d6 d9; do wait_for_line "$T/poll.out" "\"device\":\"$d\",\"state\":\"online\",\"reason\":\"answered again\"" 5; done
sleep 0.5
exec {poll_fd}>&-   # end of stdin: iot-poll stops and writes its stats
for _ in $(seq 50); do kill -0 "$poll_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$poll_pid" 2>/dev/null && fail "iot-poll did not stop at end of stdin"
validate_records "$T/poll.out"
/usr/bin/python3 - "$T/poll.out" "$t_fault" "$t_back" <<'PY'
import json, statistics, sys
from datetime import datetime, timezone
recs = [json.loads(l) for l in open(sys.argv[1])]
t_fault, t_back = float(sys.argv[2]), float(sys.argv[3])
ts = lambda r: datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
offline = {r["device"]: r for r in recs if r["kind"] == "status" and r["state"] == "offline"}
assert sorted(offline) == ["d3", "d6", "d9"], offline
for d, r in offline.items():
    assert r["reason"].startswith("3 requests without answer"), r
    # exactly offline_after - 1 timeout readings before the offline reading
    q = [x["quality"] for x in recs if x["kind"] == "reading" and x["device"] == d and t_fault <= ts(x) < t_back]
    while q and q[0] == "ok":  # polled before the fault command took effect
        q.pop(0)
    assert q == ["timeout", "timeout", "offline"], (d, q)
last_offline = max(ts(r) for r in offline.values())
def cycle(t0, t1):
    times = [ts(r) for r in recs if r["kind"] == "reading" and r["device"] == "d1" and t0 <= ts(r) < t1]
    return statistics.median([b - a for a, b in zip(times, times[1:])]), len(times)
before, n0 = cycle(0, t_fault)
after, n1 = cycle(last_offline, t_back)
ratio = after / before
print(f"cycle all online {before*1000:.1f} ms ({n0} cycles), with 3 offline {after*1000:.1f} ms ({n1} cycles), ratio {ratio:.3f}")
assert n0 >= 6 and n1 >= 6, (n0, n1)
assert ratio <= 1.1, ratio
for d in ("d3", "d6", "d9"):
    back = [ts(r) for r in recs if r["kind"] == "status" and r["device"] == d and r["state"] == "online" and ts(r) >= t_back]
    assert back, d
    print(f"{d} online {back[0] - t_back:.2f} s after coming back")
    # The probe comes when the reconnect interval is over, in the next cycle at the latest.
    assert back[0] - t_back <= 2.0 + 2 * after, (d, back[0] - t_back)
stats = [r for r in recs if r["kind"] == "stats"]
assert len(stats) == 1 and stats[0]["timeouts"] >= 9, stats
PY
