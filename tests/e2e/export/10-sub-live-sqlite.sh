#!/usr/bin/env bash
# The archive pipeline `iot-mqtt-bridge sub | iot-export sqlite` stores what
# `pub` published: export unwraps the mqtt envelopes whose payload is a record.
# Rows are visible while sub (and so the pipe) stays open, a reader querying
# meanwhile is never refused, and kinds export cannot store are reported.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
start_broker
db=$T/site.db
"$IOT_SOURCE/tests/e2e/export/gen-records" 500 2026-11-21T00:00:00 --events >"$T/in.jsonl"
cat >>"$T/in.jsonl" <<'J'
{"ts":"2026-11-21T08:00:00.000Z","kind":"write","port":"bus1","unit":1,"device":"relay1","point":"k1","addr":"coil:0","fc":5,"value":true,"raw":[1],"ok":true,"quality":"ok","latency_ms":2.5}
{"ts":"2026-11-21T08:00:01.000Z","kind":"stats","tool":"iot-poll","requests":1}
J
# sub | export, through a named pipe so that both PIDs are known and stopped.
mkfifo "$T/pipe"
bg_stdin export "$T/pipe" iot-export sqlite --db "$db"
bg sub_to_pipe bash -c "exec iot-mqtt-bridge sub -b '$BROKER' -t 'site/#' -q 1 -i t10sub -c >'$T/pipe'"
sleep 1
iot-mqtt-bridge pub -b "$BROKER" -q 1 -t 'site/{kind}' --no-stats <"$T/in.jsonl" || fail "pub exited $?"
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t site/text -m 'not a record'
want=$(jq -c 'select(.kind != "stats")' "$T/in.jsonl" | wc -l)
# Readers query while the chain runs (pipe still open): never refused, and the
# rows appear (the default flush interval is 1 s; 30 s is a generous bound).
got=0
for ((i = 0; i < 300; i++)); do
  got=$(iot-export query --db "$db" 2>"$T/query.err" | wc -l) || fail "query refused: $(cat "$T/query.err")"
  [[ $got -ge $want ]] && break
  sleep 0.1
done
assert_eq "$got" "$want" "rows visible while sub | export still runs"
kill -0 "$export_pid" 2>/dev/null || fail "export ended early: $(cat "$T/export.err")"
iot-export query --db "$db" >"$T/out.jsonl"
jq -cS 'select(.kind != "stats")' "$T/in.jsonl" | sort >"$T/a"
jq -cS . "$T/out.jsonl" | sort >"$T/b"
cmp -s "$T/a" "$T/b" || fail "stored records differ from the published ones: $(diff "$T/a" "$T/b" | head -5)"
assert_eq "$(iot-export query --db "$db" --kind write | jq -r .device)" relay1 "query --kind write"
# What export cannot store is reported with its line, not skipped silently.
wait_for_line "$T/export.err" 'stdin:[0-9]+: kind "stats" \(in an mqtt payload\) is not exported' 10
wait_for_line "$T/export.err" 'stdin:[0-9]+: mqtt message whose payload is not a record' 10
