#!/usr/bin/env bash
# Writes while running: JSON command lines on stdin go out before the next poll and
# are answered with a write record; without --allow-write they are refused. The
# plan command prints the read plan; 200 points over 2,000 registers take 16 reads.
# End of stdin stops the run with a stats record.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq
port=$(free_port)
cat >"$T/site.toml" <<TOML
[site]
name = "writes"
[[port]]
name = "gw"
url = "tcp://127.0.0.1:$port"
interval = "200ms"
[[port.device]]
name = "ctrl1"
unit = 1
[[port.device.point]]
name = "setpoint"
addr = "hr:10"
decimals = 1
writable = true
[[port.device.point]]
name = "relay"
addr = "coil:0"
writable = true
[[port.device.point]]
name = "locked"
addr = "hr:11"
TOML
start_sim sim "$T/site.toml"

open_input poll
bg_in poll "$T/poll.in" iot-poll run -c "$T/site.toml" --format jsonl --allow-write --exit-on-eof
wait_for_line "$T/poll.out" '"point":"setpoint"' 10
echo '{"kind":"write","device":"ctrl1","point":"setpoint","value":42.5}' >&"$poll_fd"
echo '{"kind":"write","device":"ctrl1","point":"relay","value":true}' >&"$poll_fd"
echo '{"kind":"write","device":"ctrl1","point":"locked","value":1}' >&"$poll_fd"
echo '{"kind":"write","device":"nobody","point":"x","value":1}' >&"$poll_fd"
echo 'garbage' >&"$poll_fd"
wait_for_line "$T/poll.out" '"point":"setpoint","addr":"hr:10","value":42.5' 5
wait_for_line "$T/poll.out" '"point":"relay","addr":"coil:0","value":true,"raw":\[true\]' 5
exec {poll_fd}>&-
for _ in $(seq 50); do kill -0 "$poll_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$poll_pid" 2>/dev/null && fail "iot-poll did not stop at end of stdin"
validate_records "$T/poll.out"
w() { jq -c --arg p "$1" 'select(.kind=="write" and .point==$p) | [.ok,.fc,.raw,.error]' "$T/poll.out"; }
assert_eq "$(w setpoint)" '[true,6,[425],null]' "setpoint write"
assert_eq "$(w relay)" '[true,5,[1],null]' "relay write"
assert_contains "$(w locked)" "not writable" "locked write"
assert_contains "$(w x)" "no such device"
assert_contains "$(jq -c 'select(.kind=="write" and (.device|not))' "$T/poll.out")" "stdin line 5"
has_record "$T/poll.out" 'select(.kind=="stats" and .port=="gw")' || fail "no stats at end of stdin"

# Without --allow-write the bus is protected.
open_input ro
bg_in ro "$T/ro.in" iot-poll run -c "$T/site.toml" --format jsonl --exit-on-eof
echo '{"kind":"write","device":"ctrl1","point":"setpoint","value":1}' >&"$ro_fd"
wait_for_line "$T/ro.out" '"kind":"write"' 5
assert_contains "$(grep '"kind":"write"' "$T/ro.out")" "writes need --allow-write"
exec {ro_fd}>&-

# The plan.
{
  printf '[site]\nname = "plan"\n[[port]]\nname = "p"\nurl = "tcp://127.0.0.1:1"\n[[port.device]]\nname = "big"\nunit = 1\n'
  for i in $(seq 0 199); do printf '[[port.device.point]]\nname = "v%s"\naddr = "hr:%s"\n' "$i" "$((i * 10))"; done
  printf '[[port.device]]\nname = "small"\nunit = 2\nmax_read = 8\n'
  for i in $(seq 0 19); do printf '[[port.device.point]]\nname = "s%s"\naddr = "hr:%s"\n' "$i" "$i"; done
} >"$T/plan.toml"
plan=$(iot-poll plan -c "$T/plan.toml")
assert_contains "$plan" "device big unit 1: 200 points in 16 reads"
assert_contains "$plan" "device small unit 2: 20 points in 3 reads"
assert_contains "$plan" "FC03 hr:0 count 121: v0 v1 v2 v3 ... v12"
assert_contains "$plan" "total: 220 points in 19 reads per cycle"
assert_status 3 iot-poll plan -c "$T/nonexistent.toml"
