#!/usr/bin/env bash
# A full spool drops what --spool-full says, and the run says so: exit status 8
# (data lost) and a stats record counting the dropped messages.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
make_lines 5000 "$T/in.jsonl"
for policy in drop-newest drop-oldest; do
  status=0
  iot-mqtt-bridge pub -b "$BROKER" -q 1 -t 'x/{device}' --spool "$T/sp-$policy" --spool-max 64K \
    --spool-full $policy --drain-timeout 1s --reconnect-max 200ms <"$T/in.jsonl" >"$T/$policy.out" 2>"$T/$policy.err" || status=$?
  assert_eq "$status" 8 "exit status with $policy"
  dropped=$(jq '.dropped' "$T/$policy.out")
  [[ $dropped -gt 0 ]] || fail "$policy: nothing counted as dropped"
  assert_contains "$(cat "$T/$policy.err")" "spool full"
  size=$(cat "$T/sp-$policy"/seg-*.spool | wc -c)
  [[ $size -le 65536 ]] || fail "$policy: spool holds $size bytes, over --spool-max"
done
# without a spool, a run that cannot deliver before --drain-timeout loses data: exit 8
status=0
head -5 "$T/in.jsonl" | iot-mqtt-bridge pub -b "$BROKER" -q 1 -t x --drain-timeout 500ms >"$T/nospool.out" 2>/dev/null || status=$?
assert_eq "$status" 8 "exit status without a spool"
jq_eq "$(cat "$T/nospool.out")" '.dropped' '5'
# drop-newest keeps the oldest messages: they arrive once the broker is up
start_broker
bg sub mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t 'x/#' -F '%p'
sleep 0.3
iot-mqtt-bridge pub -b "$BROKER" -q 1 --spool "$T/sp-drop-newest" </dev/null >"$T/replay.out"
wait_lines "$T/sub.out" 1 10
kept=$(wc -l <"$T/sub.out")
[[ $kept -gt 0 ]] || fail "nothing replayed"
assert_eq "$(head -1 "$T/sub.out")" "$(head -1 "$T/in.jsonl")" "first replayed message"
