#!/usr/bin/env bash
# acrel-sim honours every connection option it accepts, or refuses it:
# --mqtt-version 5, -i with {sn}, -c, --session-expiry, --will-*, --birth-*
# reach the broker (its log shows protocol, clean flag and client ids; a
# subscriber sees the births, and the wills after a SIGKILL); -i without {sn}
# for several meters is a usage error.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
start_broker
assert_status 2 iot-mqtt-bridge acrel-sim -b "$BROKER" -n 2 -i fixed --duration 1s
assert_contains "$(iot-mqtt-bridge acrel-sim -b "$BROKER" -n 2 -i fixed --duration 1s 2>&1)" "put {sn} in it" "usage error"
assert_status 2 iot-mqtt-bridge acrel-sim -b "$BROKER" -n 1 --session-expiry 1h --duration 1s  # MQTT 5 only
assert_status 2 iot-mqtt-bridge acrel-sim -b "$BROKER" -n 1 --format xml --duration 1s

bg watch mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -V 5 -t 'births/#' -t 'wills/#' -t '/gw/acrelHW/+/data/#' -v
sleep 0.3
bg fleet iot-mqtt-bridge acrel-sim -b "$BROKER" -n 2 --mqtt-version 5 -i 'plant-{sn}' -c --session-expiry 1h \
  --will-topic 'wills/{sn}' --will-payload 'gone {sn}' --will-qos 1 \
  --birth-topic 'births/{sn}' --birth-payload '{"up":"{sn}"}' --birth-qos 1 --fast 500ms
for sn in 26010100000001 26010100000002; do
  wait_for_line "$T/watch.out" "^births/$sn \\{\"up\":\"$sn\"\\}$" 10
  wait_for_line "$T/watch.out" "^/gw/acrelHW/ADW300/data/$sn " 10
  # protocol 5, no clean start, keep-alive 30 s, the client id from the template
  wait_for_line "$T/broker.err" "New client connected from .* as plant-$sn \\(p5, c0, k30" 5
done
kill -KILL "$fleet_pid"
for sn in 26010100000001 26010100000002; do
  wait_for_line "$T/watch.out" "^wills/$sn gone $sn$" 10
done

# MQTT 3.1.1 (the default) with a clean session and the default client ids
bg fleet2 iot-mqtt-bridge acrel-sim -b "$BROKER" -n 1 --first-sn 26010100000009 --duration 1s
wait "$fleet2_pid" || fail "acrel-sim: $(cat "$T/fleet2.err")"
wait_for_line "$T/broker.err" "as acrel-26010100000009 \\(p2, c1, k30" 5
