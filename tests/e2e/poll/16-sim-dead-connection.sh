#!/usr/bin/env bash
# Devices behind a dead connection go offline: a TCP gateway (iot-sim) that dies
# mid-run, and one that is not there at start. After offline_after failed cycles
# each device gets an offline status record and each of its points an offline
# reading; when the gateway is back they come online again.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq
port=$(free_port); nobody=$(free_port)
dev() {  # name unit
  printf '[[port.device]]\nname = "%s"\nunit = %s\n' "$1" "$2"
  printf '[[port.device.point]]\nname = "a"\naddr = "hr:0"\ngenerator = { kind = "constant", value = %s }\n' "$2"
  printf '[[port.device.point]]\nname = "b"\naddr = "hr:1"\ngenerator = { kind = "constant", value = 7 }\n'
}
{
  printf '[site]\nname = "gateways"\n[defaults]\ninterval = "100ms"\ntimeout = "200ms"\nretries = 0\noffline_after = 3\nreconnect = "400ms"\n'
  printf '[[port]]\nname = "gw"\nurl = "tcp://127.0.0.1:%s"\n' "$port"
  dev m1 1
  dev m2 2
} >"$T/sim.toml"
cp "$T/sim.toml" "$T/poll.toml"
{
  printf '[[port]]\nname = "gone"\nurl = "tcp://127.0.0.1:%s"\n' "$nobody"
  dev m3 3
} >>"$T/poll.toml"
start_sim sim "$T/sim.toml"
open_input poll
bg_in poll "$T/poll.in" iot-poll run -c "$T/poll.toml" --format jsonl
wait_for_line "$T/poll.out" '"device":"m2","point":"b","addr":"hr:1","value":7,"raw":\[7\],"quality":"ok"' 10
# A gateway that cannot be reached at start: its device goes offline, with offline readings.
wait_for_line "$T/poll.out" '"port":"gone","unit":3,"device":"m3","state":"offline"' 10
kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true
for d in m1 m2; do wait_for_line "$T/poll.out" "\"device\":\"$d\",\"state\":\"offline\"" 10; done
# The gateway comes back on the same port: the devices answer again.
start_sim sim2 "$T/sim.toml"
for d in m1 m2; do wait_for_line "$T/poll.out" "\"device\":\"$d\",\"state\":\"online\",\"reason\":\"answered again\"" 10; done
kill "$poll_pid"; wait "$poll_pid" 2>/dev/null || true
validate_records "$T/poll.out"
grep -q '"port":"gw","state":"disconnected"' "$T/poll.out" || fail "no disconnected status"
for d in m1 m2 m3; do
  for p in a b; do
    has_record "$T/poll.out" "select(.kind==\"reading\" and .device==\"$d\" and .point==\"$p\" and .quality==\"offline\" and .value==null)" ||
      fail "no offline reading of $d.$p"
  done
done
assert_contains "$(jq -r 'select(.kind=="status" and .device=="m3" and .state=="offline") | .reason' "$T/poll.out")" "cycles without a connection"
# While offline no good reading of the dead gateway's devices comes between the offline status and the comeback.
awk '/"device":"m1","state":"offline"/{off=1} /"device":"m1","state":"online"/{off=0} off && /"device":"m1","point"/ && /"quality":"ok"/{bad=1} END{exit bad}' "$T/poll.out" ||
  fail "good readings of m1 while offline"
