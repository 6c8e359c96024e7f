#!/usr/bin/env bash
# query --every: aggregate records (count, min, max, mean, last) per point and
# time bucket, the same from SQLite and PostgreSQL for the same input, and equal
# to what Python computes from the records.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/export/pg-lib"
need jq
pg_start
"$IOT_SOURCE/tests/e2e/export/gen-records" 140000 2026-11-20T23:50:00 --events >"$T/in.jsonl"
cat >>"$T/in.jsonl" <<'J'
{"ts":"2026-11-21T00:05:00.000Z","kind":"reading","device":"d9","point":"flag","value":true,"quality":"ok"}
{"ts":"2026-11-21T00:06:00.000Z","kind":"reading","device":"d9","point":"flag","value":false,"quality":"ok"}
{"ts":"2026-11-21T00:07:00.000Z","kind":"reading","device":"d9","point":"flag","value":null,"quality":"timeout"}
{"ts":"2026-11-21T00:08:00.000Z","kind":"reading","device":"d9","point":"name","value":"text","quality":"ok"}
J
iot-export sqlite --db "$T/s.db" "$T/in.jsonl"
iot-export postgres --db "$PG_URL" "$T/in.jsonl"
iot-export query --db "$T/s.db" --every 5m >"$T/s.jsonl"
iot-export query --db "$PG_URL" --every 5m >"$T/p.jsonl"
validate_records "$T/s.jsonl"
[[ -s $T/s.jsonl ]] || fail "no aggregate records"
cmp -s "$T/s.jsonl" "$T/p.jsonl" || fail "SQLite and PostgreSQL aggregates differ: $(diff "$T/s.jsonl" "$T/p.jsonl" | head -5)"

# The expected aggregates, computed from the record file.
/usr/bin/python3 - "$T/in.jsonl" "$T/s.jsonl" <<'PY'
import json, sys
from datetime import datetime, timezone
def ms(ts):
    return int(datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000)
every = 300000
want = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] != "reading": continue
    v = r.get("value")
    if isinstance(v, bool): v = 1.0 if v else 0.0
    elif not isinstance(v, (int, float)): continue
    t = ms(r["ts"])
    key = (t // every * every, r["device"], r["point"])
    a = want.setdefault(key, {"n": 0, "min": v, "max": v, "sum": 0.0, "last": (t, v)})
    a["n"] += 1; a["min"] = min(a["min"], v); a["max"] = max(a["max"], v); a["sum"] += v
    if t >= a["last"][0]: a["last"] = (t, v)
got = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == len(want), (len(got), len(want))
keys = []
for g in got:
    key = (ms(g["ts"]), g["device"], g["point"])
    keys.append(key)
    a = want[key]
    assert g["interval_s"] == 300 and g["count"] == a["n"], (g, a)
    assert g["min"] == a["min"] and g["max"] == a["max"] and g["last"] == a["last"][1], (g, a)
    assert abs(g["mean"] - a["sum"] / a["n"]) < 1e-9, (g, a)
assert keys == sorted(keys), "not in bucket, device, point order"
flag = [g for g in got if g["point"] == "flag"]
assert [(g["count"], g["mean"]) for g in flag] == [(2, 0.5)], flag  # null and text values are not counted
assert not [g for g in got if g["point"] == "name"]
print(len(got), "aggregates checked", file=sys.stderr)
PY

# Filters and range; one point over an hour in 15 minute buckets.
out=$(iot-export query --db "$PG_URL" --every 15m --device ctrl2 --point ch3 --from 2026-11-21T00:00:00Z --to 2026-11-21T01:00:00Z)
assert_eq "$(jq -r .ts <<<"$out" | tr '\n' ' ')" \
  "2026-11-21T00:00:00.000Z 2026-11-21T00:15:00.000Z 2026-11-21T00:30:00.000Z 2026-11-21T00:45:00.000Z " "buckets"
assert_eq "$(jq -r .count <<<"$out" | sort -u)" "900" "readings per 15 min of a 1 s point"
assert_eq "$out" "$(iot-export query --db "$T/s.db" --every 15m --device ctrl2 --point ch3 --from 2026-11-21T00:00:00Z --to 2026-11-21T01:00:00Z)" "SQLite = PostgreSQL"
# Daily buckets start at local midnight with --tz (Shanghai: 16:00 UTC).
assert_eq "$(iot-export query --db "$T/s.db" --every 1d --tz Asia/Shanghai --device ctrl1 --point ch1 | jq -r .ts)" \
  "2026-11-20T16:00:00.000Z" "a Shanghai day"
assert_eq "$(iot-export query --db "$T/s.db" --every 1d --device ctrl1 --point ch1 | jq -r .ts | tr '\n' ' ')" \
  "2026-11-20T00:00:00.000Z 2026-11-21T00:00:00.000Z " "UTC days"
assert_status 2 iot-export query --db "$T/s.db" --every 0s
assert_status 2 iot-export query --db "$T/s.db" --every 1h --kind alarm
assert_status 2 iot-export query --db "$T/s.db" --tz Asia/Shanghai
