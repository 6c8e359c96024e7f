#!/usr/bin/env bash
# Simulated Acrel meters → broker → `sub --answer acrel` → `iot-decode acrel`:
# the readings equal the generator's values (ua = 220 + n/10 V …, n = the last
# two digits of the SN); every meter logs in, gets its login answered, and
# obeys a para downlink. With --format point-id the same quantities come as
# the 2025 point-id list, with the ICCID once per meter.
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
cat >"$T/check.py" <<'PY'
import json, sys
model = {"ua": (220.0, 0.1), "ub": (221.0, 0.1), "uc": (219.0, 0.1), "ia": (5.0, 0.01), "ib": (4.5, 0.01),
         "ic": (4.0, 0.01), "pa": (1.1, 0.001), "pb": (0.99, 0.001), "pc": (0.88, 0.001), "p": (2.97, 0.003),
         "qa": (0.1, 0.001), "qb": (0.09, 0.001), "qc": (0.08, 0.001), "q": (0.27, 0.003), "pfa": (0.99, 0),
         "pfb": (0.98, 0), "pfc": (0.97, 0), "pf": (0.98, 0), "hz": (50.0, 0.01), "pt": (1, 0), "ct": (40, 0),
         "wh": (1000.0, 1.5), "wl": (0.0, 0), "varh": (100.0, 0.25), "varl": (0.0, 0),
         # the rest of the ADW300's quantities (point-id table of the notes, §5)
         "uab": (381.0, 0.1), "ubc": (382.0, 0.1), "uca": (380.0, 0.1), "sa": (1.105, 0.001),
         "sb": (0.995, 0.001), "sc": (0.884, 0.001), "s": (2.984, 0.003), "rssi": (20, 0), "demand_p": (2.5, 0.002),
         "ta": (30.5, 0.1), "tb": (31.0, 0.1), "tc": (30.0, 0.1), "tn": (28.5, 0.1), "ir": (0.012, 0),
         "di1": (1, 0), "di2": (0, 0), "di3": (1, 0), "di4": (0, 0),  # DI word 5
         "wh_a": (340.0, 0.5), "wl_a": (0, 0), "varh_a": (33.0, 0.08), "varl_a": (0, 0),
         "wh_b": (330.0, 0.5), "wl_b": (0, 0), "varh_b": (33.5, 0.08), "varl_b": (0, 0),
         "wh_c": (330.0, 0.5), "wl_c": (0, 0), "varh_c": (33.5, 0.09), "varl_c": (0, 0),
         "thdua": (2.1, 0.01), "thdub": (2.2, 0.01), "thduc": (2.3, 0.01), "thdia": (8.5, 0.01),
         "thdib": (9.1, 0.01), "thdic": (9.7, 0.01), "demand_p_rev": (0, 0), "demand_q": (0.25, 0.001),
         "demand_q_rev": (0, 0), "uunb": (0.45, 0), "iunb": (5.3, 0), "wh_sharp": (100.0, 0.15),
         "wh_peak": (300.0, 0.45), "wh_flat": (400.0, 0.6), "wh_valley": (200.0, 0.3), "varh_q1": (100.0, 0.25),
         "varh_q2": (0, 0), "varh_q3": (0, 0), "varh_q4": (0, 0)}
units = {"ua": "V", "ia": "A", "p": "kW", "q": "kvar", "hz": "Hz", "wh": "kWh", "varh": "kvarh", "s": "kVA",
         "ta": "°C", "thdua": "%", "wh_sharp": "kWh", "demand_p": "kW", "ir": "A"}
n = 0
seen = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] != "reading" or r["point"] == "iccid":
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
points = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] == "reading":
        points.setdefault(r["device"], set()).add(r["point"])
points = {d: p - {"iccid"} for d, p in points.items()}
for dev, p in points.items():
    if p != set(model):
        sys.exit(f"{dev}: points {sorted(set(model) - p)} missing, {sorted(p - set(model))} extra")
if len(seen) != 5 or n < 5 * 74 * 2:
    sys.exit(f"only {n} readings from {len(seen)} meters")
print(f"{n} readings from {len(seen)} meters match", file=sys.stderr)
PY
/usr/bin/python3 "$T/check.py" "$T/decoded.jsonl"

# The same meters in the 2025 point-id format.
first=$(($(wc -l <"$T/plat.out") + 1))
bg fleet2 iot-mqtt-bridge acrel-sim -b "$BROKER" --meters 5 --first-sn 26010100000001 --fast 1s --duration 4s --format point-id
wait "$fleet2_pid" || fail "acrel-sim --format point-id failed: $(cat "$T/fleet2.err")"
sleep 0.5
tail -n "+$first" "$T/plat.out" >"$T/plat2.out"
iot-decode acrel <"$T/plat2.out" >"$T/decoded2.jsonl"
validate_records "$T/decoded2.jsonl"
assert_eq "$(grep -c '"point":\[{"id":0' "$T/plat2.out")" "$(grep -c '/data/' "$T/plat2.out")" "every data message is a point-id list"
assert_eq "$(jq -r 'select(.point=="iccid") | .device' "$T/decoded2.jsonl" | sort | uniq -c | awk '{print $1}' | sort -u)" 1 \
  "one ICCID per meter"
/usr/bin/python3 "$T/check.py" "$T/decoded2.jsonl"
