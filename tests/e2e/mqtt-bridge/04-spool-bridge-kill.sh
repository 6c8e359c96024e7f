#!/usr/bin/env bash
# The bridge is killed with SIGKILL and restarted on the same spool: nothing
# spooled is lost. First run: no broker at all, 30,000 lines go into the spool,
# then SIGKILL. Second run (broker up, killed again mid-replay), third run: the
# rest is replayed, and every message arrives. A torn record at the end of the
# spool is detected and dropped cleanly.
# ctest-labels: no-sanitizer
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
N=30000
make_lines $N "$T/in.jsonl"
spool=$T/spool
# 1: broker down; everything goes to the spool, pub keeps retrying
bg_stdin pub1 "$T/in.jsonl" iot-mqtt-bridge pub -b "$BROKER" -q 1 -t 'site/{device}/{point}' --spool "$spool" \
  --spool-segment 256K --reconnect-max 500ms
wait_for_line "$T/pub1.err" "cannot connect" 10
for ((i = 0; i < 100; i++)); do
  size=$(cat "$spool"/seg-*.spool | wc -c)
  [[ $size -ge $(wc -c <"$T/in.jsonl") ]] && break
  sleep 0.1
done
kill -KILL "$pub1_pid"
wait "$pub1_pid" 2>/dev/null || true
nseg=$(ls "$spool"/seg-*.spool | wc -l)
[[ $nseg -ge 3 ]] || fail "expected several spool segments, got $nseg"
# a torn tail: half a record appended to the last segment
printf '\x40\x00\x00\x00\x12\x34' >>"$(ls "$spool"/seg-*.spool | tail -1)"

start_broker
bg sub mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t 'site/#' -F '%p'
sleep 0.3
# 2: replay, killed part-way
bg_stdin pub2 /dev/null iot-mqtt-bridge pub -b "$BROKER" -q 1 --spool "$spool" --window 50
wait_lines "$T/sub.out" 5000 20
kill -KILL "$pub2_pid"
wait "$pub2_pid" 2>/dev/null || true
assert_contains "$(cat "$T/pub2.err")" "torn record"
# 3: the rest
status=0
iot-mqtt-bridge pub -b "$BROKER" -q 1 --spool "$spool" </dev/null >"$T/pub3.out" 2>"$T/pub3.err" || status=$?
assert_eq "$status" 0 "exit status of the last run"
jq_eq "$(cat "$T/pub3.out")" '[.dropped, .spool_bytes]' '[0,0]'
wait_lines "$T/sub.out" $N 30
unique=$(sort -u "$T/sub.out" | wc -l)
total=$(wc -l <"$T/sub.out")
echo "received $total messages, $unique distinct" >&2
assert_eq "$unique" "$N" "distinct messages"
assert_eq "$(sort -u "$T/sub.out" | md5sum)" "$(sort -u "$T/in.jsonl" | md5sum)" "content"
# acknowledged segments are gone
assert_eq "$(ls "$spool"/seg-*.spool | wc -l)" 1 "segments left"
