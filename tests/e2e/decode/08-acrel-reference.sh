#!/usr/bin/env bash
# iot-decode acrel against payloads built from the protocol notes
# (shared/reference/acrel-mqtt-json.md), not from the simulator:
#  - a 2025 point-id list with every id of the notes' table (§5), each value
#    and unit checked against the table as the notes give it;
#  - a type-keyed data message with numbers sent as strings ("226.0", as the
#    notes show for the 中台 variant), a key no table knows, and a bad value.
. "$IOT_SOURCE/tests/lib.sh"
need jq
# §5 of the notes: id → (quantity, unit). The point names are this toolkit's;
# the units are the notes'. id 0 is the serial (the device), 33 the ICCID, 41 the DI word.
/usr/bin/python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
table = {
  1: ("ua", "V"), 2: ("ub", "V"), 3: ("uc", "V"), 4: ("uab", "V"), 5: ("ubc", "V"), 6: ("uca", "V"),
  7: ("ia", "A"), 8: ("ib", "A"), 9: ("ic", "A"), 10: ("pa", "kW"), 11: ("pb", "kW"), 12: ("pc", "kW"),
  13: ("p", "kW"), 14: ("qa", "kvar"), 15: ("qb", "kvar"), 16: ("qc", "kvar"), 17: ("q", "kvar"),
  18: ("sa", "kVA"), 19: ("sb", "kVA"), 20: ("sc", "kVA"), 21: ("s", "kVA"), 22: ("pfa", None),
  23: ("pfb", None), 24: ("pfc", None), 25: ("pf", None), 26: ("hz", "Hz"), 27: ("rssi", "dBm"),
  28: ("wh", "kWh"), 29: ("wl", "kWh"), 30: ("varh", "kvarh"), 31: ("varl", "kvarh"), 32: ("demand_p", "kW"),
  34: ("pt", None), 35: ("ct", None), 36: ("ta", "°C"), 37: ("tb", "°C"), 38: ("tc", "°C"), 39: ("tn", "°C"),
  40: ("ir", "A"),
  42: ("wh_a", "kWh"), 43: ("wl_a", "kWh"), 44: ("varh_a", "kvarh"), 45: ("varl_a", "kvarh"),
  46: ("wh_b", "kWh"), 47: ("wl_b", "kWh"), 48: ("varh_b", "kvarh"), 49: ("varl_b", "kvarh"),
  50: ("wh_c", "kWh"), 51: ("wl_c", "kWh"), 52: ("varh_c", "kvarh"), 53: ("varl_c", "kvarh"),
  54: ("thdua", "%"), 55: ("thdub", "%"), 56: ("thduc", "%"), 57: ("thdia", "%"), 58: ("thdib", "%"),
  59: ("thdic", "%"), 60: ("demand_p_rev", "kW"), 61: ("demand_q", "kvar"), 62: ("demand_q_rev", "kvar"),
  63: ("uunb", "%"), 64: ("iunb", "%"), 65: ("wh_sharp", "kWh"), 66: ("wh_peak", "kWh"),
  67: ("wh_flat", "kWh"), 68: ("wh_valley", "kWh"), 69: ("varh_q1", "kvarh"), 70: ("varh_q2", "kvarh"),
  71: ("varh_q3", "kvarh"), 72: ("varh_q4", "kvarh"),
}
# The sample of §4 starts {"id":0,"val":"24102809510006"},{"id":1,"val":0},{"id":2,"val":211.4}.
points = [{"id": 0, "val": "24102809510006"}]
want = {}
for i in range(1, 73):
    if i == 33:
        points.append({"id": 33, "val": "89860123456789012345"})
        want["iccid"] = ("89860123456789012345", None)
    elif i == 41:
        points.append({"id": 41, "val": 9})  # DI1 and DI4 closed
        for k, v in ((1, 1), (2, 0), (3, 0), (4, 1)):
            want[f"di{k}"] = (v, None)
    else:
        v = round(100 + i + i / 100, 2)  # a distinct value per id
        points.append({"id": i, "val": v})
        want[table[i][0]] = (v, table[i][1])
payload = {"data": [{"tp": 1736871132698, "point": points}]}
with open(f"{T}/pointid.jsonl", "w") as f:
    f.write(json.dumps({"kind": "mqtt", "topic": "/gw/acrelHW/ADW300/data/24102809510006", "payload": payload}) + "\n")
json.dump(want, open(f"{T}/want.json", "w"))
PY
iot-decode acrel <"$T/pointid.jsonl" >"$T/pointid.out" 2>"$T/pointid.err" || fail "decode: $(cat "$T/pointid.err")"
validate_records "$T/pointid.out"
[[ ! -s "$T/pointid.err" ]] || fail "unexpected diagnostics: $(cat "$T/pointid.err")"
/usr/bin/python3 - "$T/pointid.out" "$T/want.json" <<'PY'
import json, sys
want = json.load(open(sys.argv[2]))
got = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert r["kind"] == "reading", r
    assert r["device"] == "24102809510006", r
    assert r["ts"] == "2025-01-14T16:12:12.698Z", r  # tp in ms
    assert r["point"] not in got, f"twice: {r['point']}"
    got[r["point"]] = (r["value"], r.get("uom"))
missing = set(want) - set(got)
extra = set(got) - set(want)
assert not missing and not extra, (missing, extra)
for k, (v, u) in want.items():
    assert got[k][0] == v, f"{k}: {got[k][0]} != {v}"
    assert got[k][1] == u, f"{k}: unit {got[k][1]} != {u}"
print(f"{len(got)} quantities of the point-id table decoded with values and units", file=sys.stderr)
PY

# Type-keyed: numbers as strings, a key no table knows, a value that is no number.
cat >"$T/typed.jsonl" <<'JSON'
{"kind":"mqtt","topic":"/gw/acrelHW/null/data/01234567890123","payload":{"type":"data","time":"20200709130030","gwSN":"01234567890123","meterSN":"01234567890123","meterName":"adw300","meterStatus":"normal","ch":0,"ua":"226.0","ia":"1.25","pf":"0.998","wh":"193.24","thdua":"2.35","ta":"31.5","di":"3","wh_valley":"12.5","newkey":"42.5","ub":"n/a"}}
{"kind":"mqtt","topic":"/gw/acrelHW/null/data/01234567890123","payload":{"type":"data","time":"20200709130130","meterSN":"01234567890123","newkey":1,"ua":227}}
JSON
status=0
iot-decode acrel <"$T/typed.jsonl" >"$T/typed.out" 2>"$T/typed.err" || status=$?
assert_eq "$status" 1 "exit status with a value that is no number"
validate_records "$T/typed.out"
assert_eq "$(jq -c 'select(.ts=="2020-07-09T13:00:30.000Z") | [.point,.value,.uom]' "$T/typed.out" | tr '\n' ' ')" \
  '["ua",226,"V"] ["ia",1.25,"A"] ["pf",0.998,null] ["wh",193.24,"kWh"] ["thdua",2.35,"%"] ["ta",31.5,"°C"] ["di1",1,null] ["di2",1,null] ["di3",0,null] ["di4",0,null] ["wh_valley",12.5,"kWh"] ["newkey",42.5,null] ' \
  "type-keyed readings"
assert_eq "$(jq -c 'select(.ts=="2020-07-09T13:01:30.000Z") | [.point,.value]' "$T/typed.out" | tr '\n' ' ')" \
  '["newkey",1] ["ua",227] ' "second message"
err=$(cat "$T/typed.err")
assert_contains "$err" 'line 1: meter 01234567890123 key "ub": "n/a" is not a number' "stderr"
assert_contains "$err" 'line 1: key "newkey" is not in the acrelHW tables' "stderr"
assert_eq "$(grep -c newkey "$T/typed.err")" 1 "an unknown key is named once"
