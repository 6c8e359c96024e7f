#!/usr/bin/env bash
# The bundled example sites are served as they are: the gas site (two RS-485
# buses on ptys and a TCP gateway) and the energy site (ADW300 meters).
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
need jq mbpoll

start_sim gas run -c "$IOT_SOURCE/examples/gas-site.toml" --free-ports
bus1=$(path_of "$(endpoint gas bus1)")
# ctrl2-b (unit 3 on bus1) channel 12 (its hr:3) is a constant 12.5 %LEL: raw 125.
out=$(mbpoll -m rtu -b 9600 -P none -1 -0 -a 3 -r 3 -c 1 "$bus1" | sed -n 's/^\[[0-9]*\]: *//p' | tr -d '\t')
assert_eq "$out" "125" "gas site ctrl2-b ch12"
jq_eq "$(head -1 "$T/gas.out")" '[.endpoints[].port]' '["bus1","bus2","gateway"]'

start_sim energy run -c "$IOT_SOURCE/examples/energy-site.toml" --free-ports
lan=$(port_of "$(endpoint energy lan)")
out=$(mbpoll -m tcp -p "$lan" -1 -0 -a 1 -r 20 -c 3 127.0.0.1 2>&1) || fail "energy site: $out"
assert_contains "$out" "[20]: 	2301"  # ua = 230.1 V, one decimal
validate_records "$T/gas.out"
