#!/usr/bin/env bash
# Command lines on stdin: set/get a value, fault/clear, each acknowledged; a
# malformed command gets an error ack and the simulator goes on.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
need jq

start_sim sim run -c "$IOT_SOURCE/tests/e2e/sim/test-site.toml"
gw=$(hostport "$(endpoint sim gw)")
acks() { grep '"kind":"ack"' "$T/sim.out"; }

sim_cmd sim '{"cmd":"set","device":"meter1","point":"temp","value":-5.5,"id":"a1"}'
wait_count "$T/sim.out" '"kind":"ack"' 1
jq_eq "$(acks | tail -1)" '[.ok, .command, .id, .value]' '[true,"set","a1",-5.5]'
jq_eq "$($RAW tcp "$gw" 0300000001 --unit 1 --tid 1)" .hex '"000100000005010302ffc9"'

sim_cmd sim '{"cmd":"get","port":"gw","unit":1,"point":"power"}'
wait_count "$T/sim.out" '"kind":"ack"' 2
jq_eq "$(acks | tail -1)" '[.ok, .value]' '[true,1234.5]'

# Back to the generator.
sim_cmd sim '{"cmd":"set","device":"meter1","point":"temp","value":null}'
wait_count "$T/sim.out" '"kind":"ack"' 3
jq_eq "$($RAW tcp "$gw" 0300000001 --unit 1 --tid 1)" .hex '"000100000005010302ff85"'

# Malformed lines: each gets an error ack; the simulator goes on.
sim_cmd sim 'this is not json'
sim_cmd sim '{"cmd":"explode"}'
sim_cmd sim '{"cmd":"set","device":"nobody","point":"temp","value":1}'
sim_cmd sim '{"cmd":"set","device":"meter1","point":"temp","value":99999}'
sim_cmd sim '{"cmd":"fault","device":"meter1","kind":"gremlins"}'
wait_count "$T/sim.out" '"kind":"ack"' 8
assert_eq "$(acks | tail -5 | jq -c .ok | paste -sd' ')" "false false false false false" "error acks"
assert_contains "$(acks | tail -3 | head -1 | jq -r .error)" 'unknown device "nobody"'
jq_eq "$($RAW tcp "$gw" 0300010001 --unit 1 --tid 3)" .hex '"0003000000050103020028"'

# Fault on every device of a port, then cleared.
sim_cmd sim '{"cmd":"fault","port":"gw","kind":"exception","code":4}'
wait_count "$T/sim.out" '"kind":"ack"' 9
jq_eq "$(acks | tail -1)" '[.ok, .devices]' '[true,2]'
jq_eq "$($RAW tcp "$gw" 0300010001 --unit 2 --tid 4)" .hex '"000400000003028304"'
sim_cmd sim '{"cmd":"clear"}'
wait_count "$T/sim.out" '"kind":"ack"' 10
jq_eq "$($RAW tcp "$gw" 0300010001 --unit 2 --tid 5)" .hex '"0005000000050203020028"'

sim_cmd sim '{"cmd":"stop"}'
wait "$sim_pid" || fail "iot-sim exited with $?"
validate_records "$T/sim.out"
