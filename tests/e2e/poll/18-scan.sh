#!/usr/bin/env bash
# iot-poll scan: a scan summary record at the end (units found per line setting, time taken)
# even when nothing answered (then exit status 5); --first stops after the first setting
# where a unit answers; a scan that may take long says so on stderr with an estimate, and a
# SIGTERM still ends it with its summary.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq
port=$(free_port)
cat >"$T/site.toml" <<TOML
[[port]]
name = "gw"
url = "tcp://127.0.0.1:$port"
[[port.device]]
name = "a"
unit = 2
[[port.device.point]]
name = "x"
addr = "hr:0"
[[port.device]]
name = "b"
unit = 4
[[port.device.point]]
name = "x"
addr = "hr:0"
[[port]]
name = "bus"
url = "rtu:pty?baud=9600"
[[port.device]]
name = "c"
unit = 5
[[port.device.point]]
name = "x"
addr = "hr:0"
TOML
start_sim sim "$T/site.toml"
t="tcp://127.0.0.1:$port"

iot-poll scan "$t" --units 1-6 --timeout 200ms >"$T/scan.jsonl"
validate_records "$T/scan.jsonl"
assert_eq "$(jq -c 'select(.kind=="status") | .unit' "$T/scan.jsonl" | paste -sd' ' -)" "2 4" "units found"
jq_eq "$(tail -1 "$T/scan.jsonl")" '[.kind,.target,.probes,.found,.settings,.stopped,(.duration_s >= 0)]' \
  '["scan","'"$t"'",6,2,[{"settings":"'"$t"'","probes":6,"units":[2,4]}],null,true]'

# Nothing answers: the summary says so, exit status 5 (docs/exit-codes.md).
assert_status 5 iot-poll scan "$t" --units 10-12 --timeout 100ms
jq_eq "$(iot-poll scan "$t" --units 10-12 --timeout 100ms || true)" '[.kind,.found,.probes,.settings[0].units]' '["scan",0,3,[]]'

# --first on a serial line: stops after the first setting where a unit answered (a pty
# carries any baud rate, so the first one does).
pty=$(jq -r 'select(.kind=="ready") | .endpoints[] | select(.port=="bus") | .path' "$T/sim.out")
iot-poll scan "rtu:$pty" --units 4-6 --baud 9600,19200,38400 --timeout 200ms --first >"$T/first.jsonl"
jq_eq "$(tail -1 "$T/first.jsonl")" '[.probes,.found,[.settings[].settings],.settings[0].units,.stopped]' \
  '[3,1,["9600 8E1"],[5],"first"]'
iot-poll scan "rtu:$pty" --units 4-6 --baud 9600,19200 --timeout 200ms >"$T/all.jsonl"
jq_eq "$(tail -1 "$T/all.jsonl")" '[.probes,.found,[.settings[].settings]]' '[6,2,["9600 8E1","19200 8E1"]]'

# A long scan says how long it may take; SIGTERM ends it with the summary.
bg long iot-poll scan "$t" --units 1-247 --timeout 100ms
wait_for_line "$T/long.err" 'scanning 247 unit ids at 1 line setting may take up to 25 s \(100ms per silent unit\); --first stops' 10
kill -TERM "$long_pid"
for _ in $(seq 50); do kill -0 "$long_pid" 2>/dev/null || break; sleep 0.1; done
jq_eq "$(tail -1 "$T/long.out")" '[.kind,.stopped,(.probes < 247)]' '["scan","signal",true]'
# A short one stays quiet.
iot-poll scan "$t" --units 1-3 --timeout 100ms 2>"$T/short.err" >/dev/null || true
grep -q 'may take up to' "$T/short.err" && fail "a short scan warned: $(cat "$T/short.err")"
true
