#!/usr/bin/env bash
# Simulated Acrel meters → broker → `sub --answer acrel` → `iot-decode acrel`:
# the readings equal the generator's values (ua = 220 + n/10 V …, n = the last
# two digits of the SN); every meter logs in, gets its login answered, and
# obeys a para downlink.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
[[ -x "$IOT_BIN/iot-decode" ]] || fail "iot-decode is not built"
start_broker
bg plat iot-mqtt-bridge sub -b "$BROKER" -t '/gw/acrelHW/#' -q 1 --answer acrel
sleep 0.5
bg fleet iot-mqtt-bridge acrel-sim -b "$BROKER" --meters 5 --first-sn 26010100000001 --fast 1s --heart 2s --duration 6s
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/heart/26010100000005"' 15
# the platform changes meter 2's upload period
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t /server/acrelHW/ADW300/para/26010100000002 -m '{"type":"para","upInterval":"1"}'
wait "$fleet_pid" || fail "acrel-sim failed: $(cat "$T/fleet.err")"
jq_eq "$(cat "$T/fleet.out")" '[.meters,.logins >= 5,.replies >= 10]' '[5,true,true]'
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/para/26010100000002","payload":\{"type":"para","res":1\}' 5
validate_records "$T/plat.out"
iot-decode acrel <"$T/plat.out" >"$T/decoded.jsonl"
validate_records "$T/decoded.jsonl"
assert_eq "$(jq -r 'select(.kind=="status" and .state=="login") | .device' "$T/decoded.jsonl" | sort -u | wc -l)" 5 "meters logged in"
# every reading equals the generator: base + n × step
/usr/bin/python3 - "$T/decoded.jsonl" <<'PY'
import json, sys
model = {"ua": (220.0, 0.1), "ub": (221.0, 0.1), "uc": (219.0, 0.1), "ia": (5.0, 0.01), "ib": (4.5, 0.01),
         "ic": (4.0, 0.01), "pa": (1.1, 0.001), "pb": (0.99, 0.001), "pc": (0.88, 0.001), "p": (2.97, 0.003),
         "qa": (0.1, 0.001), "qb": (0.09, 0.001), "qc": (0.08, 0.001), "q": (0.27, 0.003), "pfa": (0.99, 0),
         "pfb": (0.98, 0), "pfc": (0.97, 0), "pf": (0.98, 0), "hz": (50.0, 0.01), "pt": (1, 0), "ct": (40, 0),
         "wh": (1000.0, 1.5), "wl": (0.0, 0), "varh": (100.0, 0.25), "varl": (0.0, 0)}
units = {"ua": "V", "ia": "A", "p": "kW", "q": "kvar", "hz": "Hz", "wh": "kWh", "varh": "kvarh"}
n = 0
seen = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] != "reading":
        continue
    k = int(r["device"][-2:])
    base, step = model[r["point"]]
    want = round(base + k * step, 3)
    if abs(r["value"] - want) > 1e-9:
        sys.exit(f"{r['device']} {r['point']}: {r['value']} != {want}")
    if r["point"] in units and r.get("uom") != units[r["point"]]:
        sys.exit(f"{r['point']}: uom {r.get('uom')}")
    seen.add(r["device"])
    n += 1
if len(seen) != 5 or n < 5 * 25 * 2:
    sys.exit(f"only {n} readings from {len(seen)} meters")
print(f"{n} readings from {len(seen)} meters match", file=sys.stderr)
PY
