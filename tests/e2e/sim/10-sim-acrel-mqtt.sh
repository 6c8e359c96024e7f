#!/usr/bin/env bash
# iot-sim with an mqtt:// port: simulated Acrel meters → mosquitto →
# `iot-mqtt-bridge sub --answer acrel` → `iot-decode acrel`. The decoded
# readings equal the site file's generators (constant, ramp, link) at the
# readings' time stamps; a Modbus port of the same site is served alongside;
# a para downlink is obeyed; SIGTERM stops everything with a stats record.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
export IOT_MODELS="$IOT_SOURCE/examples/models"
start_broker
cat >"$T/site.toml" <<TOML
[[port]]
name = "cloud"
url = "$BROKER"
heart = "1s"
[[port.device]]
name = "m{n}"
count = 3
sn = "26010100000001"
fast = "1s"
[[port.device.point]]
name = "ua"
generator = { kind = "constant", value = 230.5 }
[[port.device.point]]
name = "ia"
generator = { kind = "constant", value = 12.34 }
[[port.device.point]]
name = "wh"
generator = { kind = "ramp", from = 100, to = 200, period = "1000s" }
[[port.device.point]]
name = "p"
generator = { kind = "link", point = "wh", factor = 0.5 }
[[port.device]]
name = "adw"
sn = "26010100000100"
model = "ADW300"
product = "AWT100"
fast = "1s"
[[port.device.point]]
name = "hz"
generator = { kind = "constant", value = 49.98 }
[[port]]
name = "modbus"
url = "tcp://127.0.0.1:0"
[[port.device]]
name = "modbus-meter"
unit = 1
model = "ADW300"
[[port.device.point]]
name = "ua"
generator = { kind = "constant", value = 231.5 }
TOML

bg plat iot-mqtt-bridge sub -b "$BROKER" -t '/gw/acrelHW/#' -q 1 --answer acrel
# and the whole pipe into a database, as a platform would keep it
iot-mqtt-bridge sub -b "$BROKER" -t '/gw/acrelHW/+/data/#' -q 1 2>"$T/pipe-sub.err" |
  iot-decode acrel 2>"$T/pipe-decode.err" | iot-export sqlite --db "$T/live.db" 2>"$T/pipe-export.err" &
pipe_pid=$!
_iot_pids+=("$pipe_pid")
sleep 0.5  # the platform's subscription is in place before the meters log in
start_sim sim run -c "$T/site.toml"
validate_records "$T/sim.out"
jq_eq "$(head -1 "$T/sim.out")" '[.devices, (.endpoints | map([.port, .devices]))]' '[5,[["modbus",1],["cloud",4]]]'
# the Modbus port is served at the same time
mb=$(endpoint sim modbus)
jq_eq "$($RAW tcp "$(hostport "$mb")" 0300140001)" '.hex' '"000100000005010302090b"'  # ua 231.5 V = 2315

for sn in 26010100000001 26010100000002 26010100000003; do
  wait_for_line "$T/plat.out" "\"topic\":\"/gw/acrelHW/ADW300/data/$sn\"" 15
done
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/AWT100/data/26010100000100"' 15
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/heart/26010100000003"' 15
# the platform changes meter 2's upload period; the meter acknowledges it
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t /server/acrelHW/ADW300/para/26010100000002 -m '{"type":"para","upInterval":"1"}'
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/para/26010100000002","payload":\{"type":"para","res":1\}' 10
# a refused login (res 0) is counted; the meter still answers a para after it
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t /server/acrelHW/ADW300/login/26010100000003 -m '{"type":"login","res":0}'
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t /server/acrelHW/ADW300/para/26010100000003 -m '{"type":"para","upInterval":"2"}'
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/para/26010100000003","payload":\{"type":"para","res":1\}' 10
# a few more seconds of data, then stop by SIGTERM
wait_count "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/data/26010100000001"' 4
kill -TERM "$sim_pid"
status=0
wait "$sim_pid" || status=$?
assert_eq "$status" 0 "iot-sim exit status after SIGTERM"
stats=$(grep '"kind":"stats"' "$T/sim.out")
jq_eq "$stats" '[.meters, .logins >= 4, .paras >= 4, .datas >= 12, .downlinks >= 11, .refused]' '[4,true,true,true,true,1]'
kill -TERM "$plat_pid"
wait "$plat_pid" || true
# end the pipe at its head: sub stops, decode and export see end of input
pkill -TERM -f -- "-t /gw/acrelHW/\+/data/#" || true
wait "$pipe_pid"
live=$(iot-export query --db "$T/live.db" --kind reading)
assert_eq "$(jq -r 'select(.point=="ua") | "\(.device)=\(.value)"' <<<"$live" | sort -u | tr '\n' ' ')" \
  "26010100000001=230.5 26010100000002=230.5 26010100000003=230.5 26010100000100=0 " "ua of each meter in the database"
assert_eq "$(jq -r 'select(.point=="hz") | "\(.device)=\(.value)"' <<<"$live" | sort -u | tr '\n' ' ')" \
  "26010100000100=49.98 " "hz of the ADW300 in the database"
validate_records "$T/plat.out"

ready_ts=$(head -1 "$T/sim.out" | jq -r .ts)
iot-decode acrel <"$T/plat.out" >"$T/decoded.jsonl"
validate_records "$T/decoded.jsonl"
assert_eq "$(jq -r 'select(.kind=="status" and .state=="login") | .device' "$T/decoded.jsonl" | sort -u | tr '\n' ' ')" \
  "26010100000001 26010100000002 26010100000003 26010100000100 " "meters logged in"
# Each reading follows its generator at the reading's time (the data message's
# `time`, a whole second). The generators count from the simulator's start,
# which is a moment before its ready record, by how long depends on the load: so
# the ramp wh = 100 + t/10 (kWh, 2 decimals, t from the ready record) must hold
# with one offset for all later readings, between 0 and 5 s of ramp time; p = wh / 2 (kW, 3 decimals) must
# hold against the wh of the same message, within their rounding.
/usr/bin/python3 - "$T/decoded.jsonl" "$ready_ts" <<'PY'
import json, sys
from datetime import datetime
def ts(s):
    return datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
start = ts(sys.argv[2])
n = 0
seen = {}
wh_offsets = []
messages = {}  # (device, ts) -> {point: value}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] != "reading":
        continue
    dev, point, v = r["device"], r["point"], r["value"]
    if dev == "26010100000100":
        want = {"hz": 49.98}.get(point, 0.0)  # model points without a generator send 0
    elif point == "wh":
        t = ts(r["ts"]) - start
        if t > 0:
            wh_offsets.append((v - (100 + t / 10), r["ts"]))
        elif not 100 <= v <= 100.5:  # stamped before the ready record: within the start's 5 s
            sys.exit(f"{dev} wh at {r['ts']}: {v} is not 100-100.5 before the ready record")
        want = v
    else:
        want = {"ua": 230.5, "ia": 12.34}.get(point, v)
    if abs(v - want) > 1e-9:
        sys.exit(f"{dev} {point} at {r['ts']}: {v} != {want}")
    messages.setdefault((dev, r["ts"]), {})[point] = v
    seen.setdefault(dev, set()).add(point)
    n += 1
for (dev, t), points in messages.items():
    if "p" in points:
        # wh is exact to ±0.005, so wh/2 to ±0.0025; p is rounded to ±0.0005.
        if abs(points["p"] - points["wh"] / 2) > 0.003 + 1e-9:
            sys.exit(f"{dev} at {t}: p {points['p']} is not wh/2 ({points['wh']} / 2)")
lo, hi = min(wh_offsets), max(wh_offsets)
if hi[0] - lo[0] > 0.01 + 1e-9:
    sys.exit(f"wh does not rise 0.1 kWh/s: offset {lo[0]:.3f} at {lo[1]}, {hi[0]:.3f} at {hi[1]}")
if lo[0] < -0.005 - 1e-9 or hi[0] > 0.5:
    sys.exit(f"wh's ramp starts {hi[0] * 10:.2f} s before the ready record, not within 0-5 s")
assert seen.get("26010100000001") == {"ua", "ia", "wh", "p"}, seen
assert "hz" in seen.get("26010100000100", set()) and "ua" in seen["26010100000100"], seen
assert n >= 3 * 4 * 4, n
print(f"{n} readings match their generators", file=sys.stderr)
PY
