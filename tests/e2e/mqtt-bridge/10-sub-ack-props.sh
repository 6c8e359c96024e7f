#!/usr/bin/env bash
# sub acknowledges only what it wrote: with a kept session, `sub -C 3` takes
# three of ten queued QoS 1 messages and the next run gets the other seven
# (some again is allowed, none missing). MQTT 5 properties reach the record.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
start_broker
keep=(-b "$BROKER" -i t10-keeper -c -q 1 -t 'q/#')
# make the session, then leave it with the broker
timeout 10 iot-mqtt-bridge sub "${keep[@]}" -C 1 >/dev/null 2>&1 &
first=$!
sleep 0.5
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t q/start -m 0
wait "$first"
for i in $(seq 1 10); do mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t q/x -m "$i"; done
timeout 10 iot-mqtt-bridge sub "${keep[@]}" -C 3 >"$T/part1" 2>"$T/part1.err"
assert_eq "$(wc -l <"$T/part1")" 3 "lines of the first run"
# the second run takes what the session holds (messages of the first run that
# were written but whose acknowledgement had not left may come again)
timeout -s INT 3 iot-mqtt-bridge sub "${keep[@]}" >"$T/part2" 2>"$T/part2.err" || true
got=$(cat "$T/part1" "$T/part2" | jq -r 'select(.topic=="q/x") | .payload' | sort -n | uniq | tr '\n' ' ')
assert_eq "$got" "$(seq 1 10 | tr '\n' ' ')" "messages over both runs"

# MQTT 5 properties
bg props iot-mqtt-bridge sub -b "$BROKER" --mqtt-version 5 -t 'p/#' -q 1
sleep 0.5
mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -V 5 -q 1 -t p/x -m '{"v":1}' \
  -D publish user-property site plant-1 -D publish content-type application/json \
  -D publish response-topic p/reply -D publish message-expiry-interval 60
wait_lines "$T/props.out" 1 10
validate_records "$T/props.out"
jq_eq "$(cat "$T/props.out")" '[.payload.v,.properties.user.site,.properties.content_type,.properties.response_topic,.properties.message_expiry_interval]' \
  '[1,"plant-1","application/json","p/reply",60]'
