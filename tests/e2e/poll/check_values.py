#!/usr/bin/python3
"""Checks iot-poll readings (JSON Lines on stdin) against pymodbus_server.py --expect.

Each reading's point is "hr:ADDR"; the expected entry with that address and the
type/order given as argv[1] names (or every entry when the readings carry one
record per expected value, in order) must match: integers exactly, floats to 1e-9.
"""
import json
import sys

expect = json.loads(sys.argv[1])
readings = [json.loads(l) for l in sys.stdin if '"kind":"reading"' in l]
wanted = expect["values"]
if len(readings) != len(wanted):
    sys.exit(f"got {len(readings)} readings, expected {len(wanted)}")
for r, e in zip(readings, wanted):
    where = f"{e['name']} at hr:{e['addr']}"
    if r["quality"] != "ok":
        sys.exit(f"{where}: quality {r['quality']} {r.get('error', '')}")
    if r["addr"] != f"hr:{e['addr']}":
        sys.exit(f"{where}: reading is for {r['addr']}")
    v, want = r["value"], e["value"]
    if isinstance(want, float):
        if not isinstance(v, (int, float)) or abs(v - want) > 1e-9 * max(1, abs(want)):
            sys.exit(f"{where}: value {v}, expected {want}")
    elif v != want or isinstance(v, bool):
        sys.exit(f"{where}: value {v!r}, expected {want!r}")
print(f"{len(readings)} values ok")
