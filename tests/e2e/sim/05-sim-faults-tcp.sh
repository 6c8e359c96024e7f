#!/usr/bin/env bash
# Every fault kind set at run time, seen from the client side over Modbus TCP
# (and over RTU over TCP for the ones that need a CRC): timeout, exception N,
# busy every Nth, delay, wrong transaction id, wrong unit, dropped connection,
# flapping, garbage before/after, slow bytes, split frame, truncated frame,
# bad CRC, a fault limited to an address range.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
need jq

start_sim sim run -c "$IOT_SOURCE/tests/e2e/sim/test-site.toml" --log
gw=$(hostport "$(endpoint sim gw)")
rt=$(hostport "$(endpoint sim rtutcp)")
n_acks=0
cmd() {
  sim_cmd sim "$1"
  n_acks=$((n_acks + 1))
  wait_count "$T/sim.out" '"kind":"ack"' $n_acks
  jq_eq "$(grep '"kind":"ack"' "$T/sim.out" | tail -1)" .ok true
}
fault() { cmd "{\"cmd\":\"fault\",\"device\":\"meter1\",$1}"; }
clear() { cmd '{"cmd":"clear","device":"meter1"}'; }
req() { $RAW tcp "$gw" 0300010001 --unit 1 "$@"; }  # level: 40 = 0x0028
normal='"0001000000050103020028"'
jq_eq "$(req)" .hex "$normal"

fault '"kind":"timeout"'
jq_eq "$(req --timeout 0.5)" '[.hex, .closed]' '["",false]'
# the other device on the port still answers
jq_eq "$($RAW tcp "$gw" 0300010001 --unit 2)" .hex '"0001000000050203020028"'
clear

fault '"kind":"exception","code":4'
jq_eq "$(req)" .hex '"000100000003018304"'
clear

fault '"kind":"busy","every":3'
n=000000050103020028
b=000000030183 # + 06
assert_eq "$(req --count 6 | jq -r '.hex[4:]' | paste -sd' ')" "$n $n ${b}06 $n $n ${b}06" "busy every 3rd"
clear

fault '"kind":"delay","delay":"400ms"'
out=$(req --timeout 2)
jq_eq "$out" .hex "$normal"
[[ $(jq '.ms >= 350' <<<"$out") == true ]] || fail "answer not delayed: $out"
clear

fault '"kind":"wrong_tid"'
jq_eq "$(req --tid 41)" .hex '"002a000000050103020028"'
clear

fault '"kind":"wrong_unit"'
jq_eq "$(req)" .hex '"0001000000050203020028"'
clear

fault '"kind":"drop"'
jq_eq "$(req)" '[.hex, .closed]' '["",true]'
clear

fault '"kind":"flap","offline":"1s","online":"30s"'
jq_eq "$(req --timeout 0.4)" .hex '""'
sleep 1
jq_eq "$(req)" .hex "$normal"
clear

fault '"kind":"garbage","bytes":3'
out=$(req | jq -r .hex)
assert_eq "${#out}" 28 "answer with 3 bytes of garbage before"
assert_eq "${out:6}" "${normal//\"/}" "the answer after the garbage"
clear
fault '"kind":"garbage","bytes":2,"after":true'
out=$(req | jq -r .hex)
assert_eq "${out:0:22}" "${normal//\"/}" "the answer before the garbage"
assert_eq "${#out}" 26 "answer with 2 bytes of garbage after"
clear

fault '"kind":"slow","ms_per_byte":60'
out=$(req --timeout 3 --idle 0.5)
jq_eq "$out" .hex "$normal"
[[ $(jq '.gaps_ms | length >= 6' <<<"$out") == true ]] || fail "bytes not slow: $out"
clear

fault '"kind":"split","delay":"300ms"'
out=$(req --timeout 3 --idle 0.6)
jq_eq "$out" .hex "$normal"
[[ $(jq '[.gaps_ms[] | select(. >= 250)] | length' <<<"$out") == 1 ]] || fail "no pause inside the frame: $out"
clear

fault '"kind":"truncate","bytes":4'
jq_eq "$(req)" .hex '"00010000000501"'  # 11 bytes less 4
clear

# bad CRC needs a framing with a CRC: RTU over TCP.
cmd '{"cmd":"fault","device":"rt-meter3","kind":"bad_crc"}'
jq_eq "$($RAW rtu+tcp "$rt" 0300010001 --unit 3)" '[.hex[0:10], .crc_ok]' '["0303020028",false]'
cmd '{"cmd":"clear","device":"rt-meter3"}'
jq_eq "$($RAW rtu+tcp "$rt" 0300010001 --unit 3)" '.crc_ok' true

# A fault limited to an address range.
fault '"kind":"exception","code":2,"addr":"hr:4:2"'
jq_eq "$(req)" .hex "$normal"
jq_eq "$($RAW tcp "$gw" 0300040002 --unit 1)" .hex '"000100000003018302"'
clear

# The frame log names the faults applied.
grep '"kind":"frame"' "$T/sim.out" | grep -q '"faults":\["split"\]' || fail "no frame record with faults"
validate_records "$T/sim.out"
