#!/usr/bin/env bash
# A malformed site file is refused with file:line:column and nothing starts;
# bad command lines are usage errors; SIGTERM and SIGINT end the simulator
# cleanly (exit 0, a stats record); an occupied port is an io error.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
need jq

cat >"$T/bad.toml" <<'TOML'
[site]
name = "bad"
[[port]]
name = "gw"
url = "tcp://127.0.0.1:0"
[[port.device]]
name = "d1"
unit = 1
modle = "FC1003-8"
TOML
status=0
iot-sim run -c "$T/bad.toml" >"$T/out" 2>"$T/err" || status=$?
assert_eq "$status" 3 "exit status for a bad site file"
assert_contains "$(cat "$T/err")" "bad.toml:9:1"
[[ ! -s $T/out ]] || fail "something started: $(cat "$T/out")"

assert_status 2 iot-sim run
assert_status 2 iot-sim tcp://127.0.0.1:0
assert_status 2 iot-sim tcp://127.0.0.1:0 --model FC1003-8 --units 1-300
assert_status 2 iot-sim bogus://x --model FC1003-8
assert_status 2 iot-sim tcp://127.0.0.1:0 --model FC1003-8 --duration soon

# Quick mode, then SIGTERM.
bg q1 iot-sim tcp://127.0.0.1:0 --units 1-10 --model FC1003-8
wait_for_line "$T/q1.out" '"kind":"ready"'
jq_eq "$(head -1 "$T/q1.out")" '[.devices, .endpoints[0].devices]' '[10,10]'
port=$(head -1 "$T/q1.out" | jq -r '.endpoints[0].url' | sed 's/.*://')
kill -TERM "$q1_pid"
status=0; wait "$q1_pid" || status=$?
assert_eq "$status" 0 "exit status after SIGTERM"
jq_eq "$(tail -1 "$T/q1.out")" '[.kind, .tool]' '["stats","iot-sim"]'

# The port is free again; take it and make a second simulator fail on it.
bg q2 iot-sim "tcp://127.0.0.1:$port" --model FC1003-8
wait_for_line "$T/q2.out" '"kind":"ready"'
status=0
iot-sim "tcp://127.0.0.1:$port" --model FC1003-8 >"$T/out3" 2>"$T/err3" || status=$?
assert_eq "$status" 4 "exit status when the port is taken"
assert_contains "$(cat "$T/err3")" "cannot listen"
kill -INT "$q2_pid"
status=0; wait "$q2_pid" || status=$?
assert_eq "$status" 0 "exit status after SIGINT"
validate_records "$T/q1.out"
