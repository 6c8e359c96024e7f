#!/usr/bin/env bash
# sub: payload as JSON, string or base64; records valid against the schema;
# `sub | head -n 5` exits 0 quietly; shared subscriptions split the messages;
# sub keeps writing across a broker restart.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
start_broker
bg sub iot-mqtt-bridge sub -b "$BROKER" -t 'a/#' -t 'b/+' -q 1 -i t05 -c --reconnect-max 500ms
sleep 0.5
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t a/json -m '{"x": [1, 2.5, "s"]}'
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t a/text -m 'plain text'
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t b/num -m '42'
printf '\x00\xff\x10' | mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t b/bin -s
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 0 -r -t a/quoted -m '"q"'
wait_lines "$T/sub.out" 5 10
validate_records "$T/sub.out"
jq_eq "$(sed -n 1p "$T/sub.out")" '[.kind,.topic,.payload,.qos,.retain]' '["mqtt","a/json",{"x":[1,2.5,"s"]},1,false]'
jq_eq "$(sed -n 2p "$T/sub.out")" '.payload' '"plain text"'
jq_eq "$(sed -n 3p "$T/sub.out")" '.payload' '42'
jq_eq "$(sed -n 4p "$T/sub.out")" '[.payload_b64, has("payload")]' '["AP8Q",false]'
jq_eq "$(sed -n 5p "$T/sub.out")" '.payload' '"\"q\""'

# across a broker restart (graceful, so the persistent session is saved)
kill_broker TERM
start_broker
sleep 1
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t a/after -m 'after restart'
wait_lines "$T/sub.out" 6 15
jq_eq "$(tail -1 "$T/sub.out")" '.payload' '"after restart"'

# sub | head -n 5 ends quietly with status 0
( for i in $(seq 40); do mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t h/x -m "m$i"; sleep 0.05; done ) &
feeder=$!
status=0
timeout 20 bash -c "set -o pipefail; iot-mqtt-bridge sub -b '$BROKER' -t 'h/#' -q 1 2>'$T/head.err' | head -n 5 >'$T/head.out'" || status=$?
kill "$feeder" 2>/dev/null || true
wait "$feeder" 2>/dev/null || true
assert_eq "$status" 0 "status of sub | head -n 5"
assert_eq "$(wc -l <"$T/head.out")" 5 "lines through head"
assert_eq "$(cat "$T/head.err")" "" "stderr of sub | head"

# shared subscription: two members of one group split 200 messages
bg s1 iot-mqtt-bridge sub -b "$BROKER" -t '$share/g/s/#' -q 1
bg s2 iot-mqtt-bridge sub -b "$BROKER" -t '$share/g/s/#' -q 1
sleep 0.5
seq 200 | sed 's/.*/{"device":"d","point":"p","n":&}/' | iot-mqtt-bridge pub -b "$BROKER" -q 1 -t 's/{device}' --no-stats
for ((i = 0; i < 100; i++)); do
  [[ $(cat "$T/s1.out" "$T/s2.out" | wc -l) -ge 200 ]] && break
  sleep 0.1
done
n1=$(wc -l <"$T/s1.out")
n2=$(wc -l <"$T/s2.out")
assert_eq "$((n1 + n2))" 200 "messages over both members"
[[ $n1 -gt 0 && $n2 -gt 0 ]] || fail "one member got everything ($n1/$n2)"
# --count, and bad filters are usage errors
assert_status 2 iot-mqtt-bridge sub -b "$BROKER" -t 'a/#/b'
assert_status 2 iot-mqtt-bridge sub -b "$BROKER" -t '$share/g'
