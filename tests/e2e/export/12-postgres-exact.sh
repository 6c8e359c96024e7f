#!/usr/bin/env bash
# PostgreSQL storage is exact and safe with several writers: a NUL in a string
# rejects that record alone (with FILE:LINE), later records are stored; two
# ingests of the same records in another order do not deadlock; readings of
# two targets at the same ms are kept apart (the key includes the port);
# writes and integers beyond 2^53 round-trip; rows are visible while the input
# is open; query works with a read-only role.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/export/pg-lib"
need jq psql
pg_start
cat >"$T/odd.jsonl" <<'J'
{"ts":"2026-11-21T08:00:00.000Z","kind":"reading","port":"tcp://10.0.0.1:502","unit":1,"device":"unit1","point":"hr:0","value":1}
{"ts":"2026-11-21T08:00:00.000Z","kind":"reading","port":"tcp://10.0.0.2:502","unit":1,"device":"unit1","point":"hr:0","value":2}
{"ts":"2026-11-21T08:00:01.000Z","kind":"reading","device":"d","point":"nul","value":"a\u0000b","quality":"ok"}
{"ts":"2026-11-21T08:00:02.000Z","kind":"reading","device":"d","point":"u64","value":18446744073709551615,"unit":4294967296}
{"ts":"2026-11-21T08:00:02.000Z","kind":"reading","device":"d","point":"i64","value":-9223372036854775807,"tag":"x\u0000y"}
{"ts":"2026-11-21T08:00:03.000Z","kind":"write","port":"bus1","unit":1,"device":"relay1","point":"k1","addr":"coil:0","fc":5,"value":true,"raw":[1],"ok":true,"quality":"ok","latency_ms":2.5}
{"ts":"2026-11-21T08:00:04.000Z","kind":"write","port":"sim","unit":3,"device":"m3","addr":"hr:0:2","points":{"a":1}}
J
status=0
iot-export postgres --db "$PG_URL" --batch 100 "$T/odd.jsonl" 2>"$T/odd.err" || status=$?
assert_eq "$status" 1 "exit status with one rejected record"
assert_contains "$(cat "$T/odd.err")" "$T/odd.jsonl:3: \"value\" holds a NUL character"
iot-export query --db "$PG_URL" >"$T/odd.out"
grep -v '"point":"nul"' "$T/odd.jsonl" | jq -cS . | sort >"$T/a"
jq -cS . "$T/odd.out" | sort >"$T/b"
cmp -s "$T/a" "$T/b" || fail "records differ after the round trip: $(diff "$T/a" "$T/b" | head -5)"
grep -q '"value":18446744073709551615' "$T/odd.out" || fail "u64 value not exact: $(cat "$T/odd.out")"
assert_eq "$(iot-export query --db "$PG_URL" --kind write | wc -l)" 2 "writes stored"

# Two concurrent ingests of the same records, one in reverse order, small
# batches: no deadlock, every record once.
"$IOT_SOURCE/tests/e2e/export/gen-records" 30000 2026-11-22T00:00:00 --events >"$T/in.jsonl"
tac "$T/in.jsonl" >"$T/rev.jsonl"
/usr/bin/python3 -c 'import random,sys;l=open(sys.argv[1]).readlines();random.seed(7);random.shuffle(l);open(sys.argv[2],"w").writelines(l)' \
  "$T/in.jsonl" "$T/shuf.jsonl"
iot-export postgres --db "$PG_URL" --batch 500 "$T/in.jsonl" 2>"$T/w1.err" &
w1=$!
iot-export postgres --db "$PG_URL" --batch 500 "$T/rev.jsonl" 2>"$T/w2.err" &
w2=$!
iot-export postgres --db "$PG_URL" --batch 700 "$T/shuf.jsonl" 2>"$T/w3.err" &
w3=$!
wait "$w1" || fail "writer 1 failed: $(cat "$T/w1.err")"
wait "$w2" || fail "writer 2 failed: $(cat "$T/w2.err")"
wait "$w3" || fail "writer 3 failed: $(cat "$T/w3.err")"
n=$(iot-export query --db "$PG_URL" --from 2026-11-22 | wc -l)
assert_eq "$n" 30000 "rows after three concurrent ingests"

# Live: rows are visible while the input pipe stays open.
mkfifo "$T/live"
iot-export postgres --db "$PG_URL" <"$T/live" 2>"$T/live.err" &
lw=$!
_iot_pids+=("$lw")
(echo '{"ts":"2026-11-23T00:00:00.000Z","kind":"reading","device":"live","point":"p","value":1}'; exec sleep 60) >"$T/live" &
feeder=$!
_iot_pids+=("$feeder")
got=0
for ((i = 0; i < 300; i++)); do
  got=$(iot-export query --db "$PG_URL" --device live | wc -l)
  [[ $got -ge 1 ]] && break
  sleep 0.1
done
assert_eq "$got" 1 "row visible while the pipe is open"
kill "$feeder"
wait "$lw" || fail "live writer failed: $(cat "$T/live.err")"

# query with a role whose transactions are read-only.
psql "$PG_URL" -qc "CREATE ROLE reader LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;
  ALTER ROLE reader SET default_transaction_read_only = on" >/dev/null
reader_url="postgresql://reader@127.0.0.1:$PG_PORT/postgres"
iot-export query --db "$reader_url" --kind write >"$T/ro.out" 2>"$T/ro.err" || fail "read-only query failed: $(cat "$T/ro.err")"
assert_eq "$(wc -l <"$T/ro.out")" 2 "writes read by the read-only role"
