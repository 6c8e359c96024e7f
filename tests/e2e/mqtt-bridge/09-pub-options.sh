#!/usr/bin/env bash
# pub's connection options against a real broker: MQTT 5 with QoS 2, retained
# messages, the birth message and the last will, a password from an
# environment variable, and a refused password ending the run with status 4.
. "$IOT_SOURCE/tests/lib.sh"
need mosquitto_passwd
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
cd "$T"
touch passwd
chmod 600 passwd
mosquitto_passwd -b passwd meter s3cret
start_broker "password_file $T/passwd" "allow_anonymous false"
sub_opts=(-b "$BROKER" -u meter --password-env METER_PW)
export METER_PW=s3cret

# MQTT 5, QoS 2: every line arrives once, in order, and the stats say so.
bg sub5 iot-mqtt-bridge sub "${sub_opts[@]}" --mqtt-version 5 -t 'v5/#' -q 2
sleep 0.5
seq 1 2000 | sed 's/.*/{"device":"d","n":&}/' >in.jsonl
iot-mqtt-bridge pub "${sub_opts[@]}" --mqtt-version 5 -q 2 -t 'v5/{device}' <in.jsonl >pub5.stats
jq_eq "$(cat pub5.stats)" '[.lines,.published,.acknowledged,.dropped]' '[2000,2000,2000,0]'
wait_lines sub5.out 2000 20
assert_eq "$(jq -c '.payload.n' sub5.out | tr '\n' ' ')" "$(seq 1 2000 | tr '\n' ' ')" "QoS 2 payloads in order"
jq_eq "$(head -1 sub5.out)" '[.topic,.qos]' '["v5/d",2]'

# retained: a subscriber that comes later still gets the last value
echo '{"device":"r","v":7}' | iot-mqtt-bridge pub "${sub_opts[@]}" -q 1 -r -t 'keep/{device}' --no-stats
timeout 10 iot-mqtt-bridge sub "${sub_opts[@]}" -t 'keep/#' -C 1 >retained.out
jq_eq "$(cat retained.out)" '[.topic,.payload.v,.retain]' '["keep/r",7,true]'

# birth after connecting; the will when pub dies without a DISCONNECT
bg life iot-mqtt-bridge sub "${sub_opts[@]}" -t 'life/#' -q 1
sleep 0.5
mkfifo feed
exec 7<>feed  # holds pub's stdin open (read-write, so opening does not block)
# (started directly: a background job of `bg` would get /dev/null as stdin)
iot-mqtt-bridge pub "${sub_opts[@]}" -q 1 -t 'data/{device}' -k 5s \
  --birth-topic life/up --birth-payload '{"state":"online"}' --birth-qos 1 \
  --will-topic life/down --will-payload '{"state":"gone"}' --will-qos 1 <feed >pubw.out 2>pubw.err &
pubw_pid=$!
_iot_pids+=("$pubw_pid")
wait_for_line life.out '"topic":"life/up","payload":{"state":"online"}' 10
kill -KILL "$pubw_pid"
wait "$pubw_pid" 2>/dev/null || true
exec 7>&-
wait_for_line life.out '"topic":"life/down","payload":{"state":"gone"}' 15

# a wrong password is refused at once with a clear message, not retried forever
status=0
echo '{"device":"x"}' | METER_PW=wrong timeout 20 iot-mqtt-bridge pub "${sub_opts[@]}" -q 1 -t 'x/{device}' \
  >/dev/null 2>bad.err || status=$?
assert_eq "$status" 4 "exit status with a wrong password"
assert_contains "$(cat bad.err)" "not authorized"
# libmosquitto's keep-alive floor is a usage error, said before connecting
assert_status 2 iot-mqtt-bridge pub -b "$BROKER" -k 2s -t x </dev/null
