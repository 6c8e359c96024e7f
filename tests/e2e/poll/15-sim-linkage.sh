#!/usr/bin/env bash
# Alarm relay linkage ([[link]], 报警继电器联动), many to many and across ports: gas detectors
# on a TCP port switch relays of a module on an RTU pty. iot-sim serves both at endpoints it
# chooses (tcp port 0, rtu:pty) and writes them with --site-out; iot-poll polls that file
# as it is. A detector's alarm writes the relay (a write record with its cause, the
# simulator's write record shows the coil), its clear writes the release value; a relay held
# by two links is released only when both have ended. Without --allow-write nothing is
# written and stderr says why. A broken link is a config error with file:line:column.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq
cat >"$T/site.toml" <<'TOML'
[site]
name = "linkage"

[[port]]
name = "gas"
url = "tcp://127.0.0.1:0"
interval = "100ms"
[[port.device]]
name = "det1"
unit = 1
[[port.device.point]]
name = "ch1"
addr = "hr:0"
uom = "%LEL"
alarm = { type = "HH", high = 25, high_high = 50, deadband = 2 }
[[port.device.point]]
name = "ch2"
addr = "hr:1"
alarm = { type = "HH", high = 25 }

[[port]]
name = "bus2"
url = "rtu:pty?baud=38400"
interval = "100ms"
[[port.device]]
name = "relay1"
unit = 7
[[port.device.point]]
name = "fan"
addr = "coil:0"
writable = true
[[port.device.point]]
name = "siren"
addr = "coil:1"
writable = true
[[port.device.point]]
name = "damper"
addr = "hr:5"
writable = true

[[link]]
name = "ventilate"
when = ["det1.ch1 >= H", "det1.ch2 >= H"]
then = [{ device = "relay1", point = "fan", value = 1 }, { device = "relay1", point = "damper", value = 90, release = 10 }]

[[link]]
name = "evacuate"
when = "det1.ch1 == HH"
then = [{ device = "relay1", point = "siren", value = true }, { device = "relay1", point = "fan", value = 1 }]
TOML
start_sim sim "$T/site.toml" --site-out "$T/served.toml"
# The served file: the real endpoints, everything else as written.
served_tcp=$(jq -r 'select(.kind=="ready") | .endpoints[] | select(.port=="gas") | .url' "$T/sim.out")
served_pty=$(jq -r 'select(.kind=="ready") | .endpoints[] | select(.port=="bus2") | .path' "$T/sim.out")
grep -qF "url = \"$served_tcp\"" "$T/served.toml" || fail "served.toml lacks $served_tcp: $(cat "$T/served.toml")"
grep -qF "url = \"rtu:$served_pty?baud=38400\"" "$T/served.toml" || fail "served.toml lacks the pty: $(cat "$T/served.toml")"
assert_eq "$(grep -c '^\[\[link\]\]' "$T/served.toml")" 2 "links kept in served.toml"

open_input poll
bg_in poll "$T/poll.in" iot-poll run -c "$T/served.toml" --format jsonl --allow-write --exit-on-eof
wait_for_line "$T/poll.out" '"point":"ch1"' 10
wait_for_line "$T/poll.out" '"point":"fan"' 10

links() { jq -c 'select(.kind=="write" and .cause != null) | [.device,.point,.value,.ok,.cause]' "$T/poll.out"; }
coil() { jq -c --arg p "$1" 'select(.kind=="write" and .device=="relay1" and .points[$p] != null) | .points[$p]' "$T/sim.out" | tail -1; }

# ch1 high: ventilate starts; fan and damper are written and the relay module shows them.
sim_cmd sim '{"cmd":"set","device":"det1","point":"ch1","value":30}'
wait_for_line "$T/poll.out" '"point":"damper".*"cause":"link:ventilate"' 10
wait_for_line "$T/sim.out" '"kind":"write".*"damper":90' 10
assert_eq "$(coil fan)" "true" "fan coil in the simulator"
# ch1 high-high: evacuate starts too (siren; fan again).
sim_cmd sim '{"cmd":"set","device":"det1","point":"ch1","value":60}'
wait_for_line "$T/sim.out" '"siren":true' 10
# Back to H: evacuate ends; the siren is released, the fan stays (ventilate holds it).
sim_cmd sim '{"cmd":"set","device":"det1","point":"ch1","value":30}'
wait_for_line "$T/sim.out" '"siren":false' 10
# ch2 high, then ch1 clear: ventilate still active through ch2.
sim_cmd sim '{"cmd":"set","device":"det1","point":"ch2","value":40}'
wait_for_line "$T/poll.out" '"kind":"alarm".*"point":"ch2".*"state":"raised"' 10
sim_cmd sim '{"cmd":"set","device":"det1","point":"ch1","value":0}'
wait_for_line "$T/poll.out" '"kind":"alarm".*"point":"ch1".*"state":"cleared"' 10
sleep 0.5 # a release written now would be a bug: give it the time to show
assert_eq "$(coil fan)" "true" "fan held by ventilate (ch2 still high)"
# ch2 clear: ventilate ends, fan and damper released.
sim_cmd sim '{"cmd":"set","device":"det1","point":"ch2","value":0}'
wait_for_line "$T/sim.out" '"damper":10' 10
assert_eq "$(coil fan)" "false" "fan released"
exec {poll_fd}>&-
for _ in $(seq 50); do kill -0 "$poll_pid" 2>/dev/null || break; sleep 0.1; done
validate_records "$T/poll.out"
assert_eq "$(links | paste -sd' ' -)" \
  '["relay1","fan",1,true,"link:ventilate"] ["relay1","damper",90,true,"link:ventilate"] ["relay1","siren",true,true,"link:evacuate"] ["relay1","fan",1,true,"link:evacuate"] ["relay1","siren",false,true,"link:evacuate:release"] ["relay1","fan",0,true,"link:ventilate:release"] ["relay1","damper",10,true,"link:ventilate:release"]' \
  "linked writes"

# Without --allow-write: the alarm is raised, nothing is written, stderr says why.
sim_cmd sim '{"cmd":"set","device":"det1","point":"ch1","value":0}'
open_input poll2
bg_in poll2 "$T/poll2.in" iot-poll run -c "$T/served.toml" --format jsonl --exit-on-eof
wait_for_line "$T/poll2.out" '"point":"ch1"' 10
sim_cmd sim '{"cmd":"set","device":"det1","point":"ch1","value":35}'
wait_for_line "$T/poll2.out" '"kind":"alarm".*"point":"ch1"' 10
wait_for_line "$T/poll2.err" "link 'ventilate'.*not writing relay1.fan = 1: linked writes need --allow-write" 5
grep -q 'will not switch relays: linked writes need --allow-write' "$T/poll2.err" || fail "no warning at start"
exec {poll2_fd}>&-
for _ in $(seq 50); do kill -0 "$poll2_pid" 2>/dev/null || break; sleep 0.1; done
has_record "$T/poll2.out" 'select(.kind=="write")' && fail "a write without --allow-write"

# A link to a point that is not writable: config error (exit 3) with file:line:column.
sed 's/^writable = true$/writable = false/' "$T/site.toml" >"$T/bad.toml"
assert_status 3 iot-poll run -c "$T/bad.toml" --count 1
err=$(iot-poll run -c "$T/bad.toml" --count 1 2>&1 </dev/null || true)
assert_contains "$err" "bad.toml:44:38: link[0].then[0].point: relay1.fan is not writable: add writable = true to the point"
