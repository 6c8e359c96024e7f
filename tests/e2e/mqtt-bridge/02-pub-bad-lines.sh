#!/usr/bin/env bash
# Malformed lines are reported with their line numbers and skipped (exit 1);
# an oversize payload is refused with a clear message; the rest is delivered.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
start_broker
bg sub mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t 'x/#' -F '%t %p'
sleep 0.3
big=$(head -c 3000 /dev/zero | tr '\0' a)
cat >"$T/in" <<IN
{"device":"a","point":"p","value":1}
this is not json
{"device":"b","value":2}
{"device":"c","point":"p","value":3,"big":"$big"}

{"kind":"mqtt","topic":"x/raw","payload":"hello","qos":1}
{"kind":"mqtt","topic":"x/#","payload":"bad topic"}
{"kind":"mqtt","topic":"x/b64","payload_b64":"AAEC/w=="}
IN
status=0
iot-mqtt-bridge pub -b "$BROKER" -q 1 -t 'x/{device}/{point}' --max-payload 2K <"$T/in" >"$T/stats" 2>"$T/err" || status=$?
assert_eq "$status" 1 "exit status"
err=$(cat "$T/err")
assert_contains "$err" "warning: line 2: not a JSON object"
assert_contains "$err" "warning: line 3: field 'point' of the topic template is missing"
assert_contains "$err" "warning: line 4: payload of"
assert_contains "$err" "larger than the maximum of 2048 bytes"
assert_contains "$err" "warning: line 7: topic 'x/#' contains '#'"
jq_eq "$(cat "$T/stats")" '[.lines,.skipped,.acknowledged,.dropped]' '[8,4,3,0]'
wait_lines "$T/sub.out" 3 10
assert_eq "$(sed -n 1p "$T/sub.out")" 'x/a/p {"device":"a","point":"p","value":1}'
assert_eq "$(sed -n 2p "$T/sub.out")" 'x/raw hello'
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t 'x/b64' -C 1 -W 5 -F '%x' >"$T/hex" &
hex_pid=$!
sleep 0.3
echo '{"kind":"mqtt","topic":"x/b64","payload_b64":"AAEC/w=="}' | iot-mqtt-bridge pub -b "$BROKER" --no-stats
wait $hex_pid
assert_eq "$(cat "$T/hex")" "000102ff" "base64 payload bytes"
# usage errors: a bad template and a bad broker URL
assert_status 2 iot-mqtt-bridge pub -b "$BROKER" -t 'x/{unclosed' </dev/null
assert_status 2 iot-mqtt-bridge pub -b "http://127.0.0.1:1" -t x </dev/null
