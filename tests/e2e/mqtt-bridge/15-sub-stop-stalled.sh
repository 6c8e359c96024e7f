#!/usr/bin/env bash
# SIGTERM ends sub promptly even when the reader of its stdout has stalled
# (issue 13: it used to hang on a lock until SIGKILL), and loses nothing: the
# message it could not write is not acknowledged, so a kept session (-c) gets
# it again. --stats-every writes periodic stats records (received, written, lag_ms).
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
start_broker
N=3000
# a reader that takes nothing until told: a fifo opened for reading but not read
mkfifo "$T/pipe"
exec {hold}<>"$T/pipe"
iot-mqtt-bridge sub -b "$BROKER" -i stalled -c -q 1 -t 'st/#' >"$T/pipe" 2>"$T/sub1.err" &
sub_pid=$!
_iot_pids+=("$sub_pid")
sleep 0.5
seq 1 $N | sed 's/.*/{"n":&,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}/' |
  iot-mqtt-bridge pub -b "$BROKER" -q 1 -t 'st/{n}' >/dev/null
sleep 1 # the pipe (64 KiB) is full, sub waits for the reader
kill -0 "$sub_pid" || fail "sub ended early: $(cat "$T/sub1.err")"
start=$(date +%s%N)
kill -TERM "$sub_pid"
for i in $(seq 40); do kill -0 "$sub_pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$sub_pid" 2>/dev/null && fail "sub did not end within 2 s of SIGTERM with a stalled reader"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
wait "$sub_pid" || fail "sub exit status $? after SIGTERM"
echo "sub ended ${ms} ms after SIGTERM"
# what reached the pipe, then the rest from the kept session
timeout 5 cat <&$hold >"$T/first.jsonl" &
cat_pid=$!
sleep 0.5
exec {hold}>&-
kill "$cat_pid" 2>/dev/null || true
wait "$cat_pid" 2>/dev/null || true
bg sub2 iot-mqtt-bridge sub -b "$BROKER" -i stalled -c -q 1 -t 'st/#' --stats-every 200ms
sleep 2
kill -TERM "$sub2_pid"
wait "$sub2_pid" || true
got=$( { grep -h '"kind":"mqtt"' "$T/first.jsonl" "$T/sub2.out" | jq -r 'select(.payload|type=="object")|.payload.n' || true; } | sort -un | wc -l)
first=$(grep -c '"kind":"mqtt"' "$T/first.jsonl" || true)
echo "first sub wrote $first, all distinct: $got"
assert_eq "$got" "$N" "messages received by the two runs together"
stats=$(grep '"kind":"stats"' "$T/sub2.out" | tail -1)
[[ -n $stats ]] || fail "no stats record from --stats-every"
jq_eq "$stats" '[.command, (.received >= .written), (.lag_ms >= 0)]' '["sub",true,true]'
