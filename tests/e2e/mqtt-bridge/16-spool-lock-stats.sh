#!/usr/bin/env bash
# The spool is taken exclusively (issue 10): a second pub on the same --spool
# folder fails at once with status 4, naming the holder. --drain-timeout with
# messages left in the spool is status 5, not 0 (issue 13); the next run replays
# them and counts them as resent. --stats-every writes periodic stats records
# with the spool's depth.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
down=mqtt://127.0.0.1:$(free_port)
mkfifo "$T/in"
exec {keep}<>"$T/in"
bg_stdin first "$T/in" iot-mqtt-bridge pub -b "$down" -q 1 -t 't/{n}' --spool "$T/spool" --stats-every 200ms
echo '{"n":1}' >&$keep
sleep 1
status=0
echo '{"n":2}' | timeout 5 iot-mqtt-bridge pub -b "$down" -q 1 -t 't/{n}' --spool "$T/spool" >/dev/null 2>"$T/second.err" ||
  status=$?
assert_eq "$status" 4 "second pub on one spool"
assert_contains "$(cat "$T/second.err")" "spool '$T/spool' is in use by another process (pid $first_pid)"
sleep 0.5
stats=$(grep -c '"kind":"stats"' "$T/first.out" || true)
((stats >= 3)) || fail "expected periodic stats records every 200 ms, got $stats"
jq_eq "$(grep '"kind":"stats"' "$T/first.out" | tail -1)" '[.spool_messages, .acknowledged, (.spool_bytes > 0)]' '[1,0,true]'
kill -TERM "$first_pid"
wait "$first_pid" || fail "pub with a spool ends with status 0 on SIGTERM"
exec {keep}>&-

# --drain-timeout with the broker away: the messages stay in the spool, status 5
status=0
printf '{"n":%d}\n' 2 3 4 5 | iot-mqtt-bridge pub -b "$down" -q 1 -t 't/{n}' --spool "$T/spool" --drain-timeout 1s \
  >"$T/drain.json" 2>"$T/drain.err" || status=$?
assert_eq "$status" 5 "exit status when --drain-timeout passes with messages in the spool"
jq_eq "$(cat "$T/drain.json")" '[.spool_messages, .dropped]' '[5,0]'
assert_contains "$(cat "$T/drain.err")" "drain-timeout"

# the next run, with a broker, replays them: counted as resent
start_broker
bg sub mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t 't/#'
sleep 0.5
status=0
iot-mqtt-bridge pub -b "$BROKER" -q 1 -t 't/{n}' --spool "$T/spool" </dev/null >"$T/replay.json" 2>"$T/replay.err" || status=$?
assert_eq "$status" 0 "replay run"
jq_eq "$(cat "$T/replay.json")" '[.lines, .published, .acknowledged, .resent, .spool_messages]' '[0,5,5,5,0]'
wait_lines "$T/sub.out" 5 10
