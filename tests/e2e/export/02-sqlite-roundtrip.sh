#!/usr/bin/env bash
# sqlite + query: the records come back equal (values, times to the ms);
# a second ingest adds nothing; filters; prune deletes a range; --max-rows caps.
. "$IOT_SOURCE/tests/lib.sh"
need jq
gen="$IOT_SOURCE/tests/e2e/export/gen-records"
"$gen" 20000 2026-11-20T23:55:00 --events >"$T/in.jsonl"
# Some odd but valid records: typed values, unknown fields, a null level.
cat >>"$T/in.jsonl" <<'J'
{"ts":"2026-11-21T08:00:00.999Z","kind":"reading","device":"d9","point":"flag","value":true,"quality":"ok","src":"x","tags":{"a":[1,2]}}
{"ts":"2026-11-21T08:00:00.999Z","kind":"reading","device":"d9","point":"name","value":"tab\there \"q\" ünï","raw":[],"quality":"ok"}
{"ts":"2026-11-21T08:00:01.000Z","kind":"reading","device":"d9","point":"nothing","value":null,"quality":"timeout","error":"no answer"}
{"ts":"2026-11-21T08:00:01.001Z","kind":"reading","device":"d9","point":"tiny","value":1.2345678901234567e-300,"quality":"ok"}
{"ts":"2026-11-21T08:00:02.000Z","kind":"alarm","device":"d9","point":"tiny","state":"cleared","level":null,"type":"HL","value":0.1,"limit":0.2}
{"ts":"2026-11-21T08:00:03.000Z","kind":"status","port":"bus9","state":"disconnected","reason":"connection refused"}
J
db=$T/site.db
iot-export sqlite --db "$db" "$T/in.jsonl"
iot-export query --db "$db" >"$T/out.jsonl"
validate_records "$T/out.jsonl"
jq -cS . "$T/in.jsonl" | sort >"$T/a"
jq -cS . "$T/out.jsonl" | sort >"$T/b"
cmp -s "$T/a" "$T/b" || fail "records differ after the round trip: $(diff "$T/a" "$T/b" | head -5)"
# Query output is in time order.
jq -r .ts "$T/out.jsonl" | sort -c || fail "query output is not in time order"

# Idempotent: the same input again adds nothing.
iot-export sqlite --db "$db" "$T/in.jsonl" -v 2>"$T/again.err"
assert_contains "$(cat "$T/again.err")" "0 new rows stored"
assert_eq "$(iot-export query --db "$db" | wc -l)" "$(wc -l <"$T/in.jsonl")" "rows after a second ingest"

# Filters.
assert_eq "$(iot-export query --db "$db" --kind status --device ctrl3 | jq -r .state | sort -u | tr '\n' ' ')" \
  "offline online " "status filter"
n=$(iot-export query --db "$db" --device ctrl2 --point ch3 --from 2026-11-20T23:56:00Z --to 2026-11-20T23:57:00Z | wc -l)
assert_eq "$n" 60 "readings of one point in one minute"
assert_eq "$(iot-export query --db "$db" --kind alarm | jq -r .kind | sort -u)" alarm "kind filter"

# prune: deletes [from, to).
before=$(iot-export query --db "$db" | wc -l)
inside=$(jq -r 'select(.ts >= "2026-11-21T00:00:00" and .ts < "2026-11-21T00:01:00") | .ts' "$T/in.jsonl" | wc -l)
iot-export prune --db "$db" --from 2026-11-21T00:00:00Z --to 2026-11-21T00:01:00Z
assert_eq "$(iot-export query --db "$db" | wc -l)" $((before - inside)) "rows after prune"
assert_eq "$(iot-export query --db "$db" --from 2026-11-21T00:00:00Z --to 2026-11-21T00:01:00Z | wc -l)" 0 "pruned range"

# Retention: --max-rows keeps the newest N of each table.
iot-export prune --db "$db" --max-rows 100
assert_eq "$(iot-export query --db "$db" --kind reading | wc -l)" 100 "capped readings"
assert_eq "$(iot-export query --db "$db" --kind reading | tail -1 | jq -r .point)" tiny "newest reading kept"

# Usage errors.
assert_status 2 iot-export query --db "$db" --from yesterday
assert_status 2 iot-export prune --db "$db"
assert_status 4 iot-export query --db /nonexistent/dir/x.db
assert_status 4 iot-export query --db "$T/missing.db"
[[ ! -e $T/missing.db ]] || fail "query created a database"
assert_status 2 iot-export sqlite --db "$T/x.db" --batch 0 "$T/in.jsonl"
