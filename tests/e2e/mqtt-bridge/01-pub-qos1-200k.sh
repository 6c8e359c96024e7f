#!/usr/bin/env bash
# 200,000 lines into `pub -q 1` all reach a subscriber, content equal, and pub
# exits 0 only once the broker has acknowledged every one of them.
# ctest-labels: no-sanitizer
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
start_broker
N=200000
make_lines $N "$T/in.jsonl"
bg sub mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -i t01sub -c -t 'site/#' -F '%p'
sleep 0.5
iot-mqtt-bridge pub -b "$BROKER" -q 1 -t 'site/{device}/{point}' <"$T/in.jsonl" >"$T/stats.jsonl" || fail "pub exited $?"
jq_eq "$(cat "$T/stats.jsonl")" '[.kind,.lines,.acknowledged,.dropped,.skipped]' "[\"stats\",$N,$N,0,0]"
wait_lines "$T/sub.out" $N 30
want=$(sort "$T/in.jsonl" | md5sum)
got=$(sort "$T/sub.out" | md5sum)
assert_eq "$got" "$want" "checksum of the sorted received payloads"
# topics follow the template
mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t 'site/dev3/p1' -C 1 -W 5 -F '%t' >"$T/topic" &
topic_pid=$!
sleep 0.3
echo '{"device":"dev3","point":"p1","value":1}' | iot-mqtt-bridge pub -b "$BROKER" -q 1 -t 'site/{device}/{point}' --no-stats
wait $topic_pid
assert_eq "$(cat "$T/topic")" "site/dev3/p1" "topic"
