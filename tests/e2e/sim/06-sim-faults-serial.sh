#!/usr/bin/env bash
# Faults from the site file and on a serial line (the simulator's pty): the
# poller side sees a bad CRC, a frame split by a pause longer than t1.5, slow
# bytes, a truncated frame, garbage before the answer, an answer from another
# unit, silence; busy every 2nd request from the file; wire timing on.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
need jq

cat >"$T/site.toml" <<'TOML'
[site]
name = "faulty"
[[model]]
name = "M"
[[model.point]]
name = "v"
addr = "hr:0"
type = "u16"
generator = { kind = "constant", value = 258 }   # 0x0102
[[port]]
name = "bus"
url = "rtu:pty?baud=19200&parity=E"
[[port.device]]
name = "good"
unit = 1
model = "M"
[[port.device]]
name = "busy"
unit = 2
model = "M"
fault = { kind = "busy", every = 2 }
[[port.device]]
name = "bad"
unit = 3
model = "M"
TOML
start_sim sim run -c "$T/site.toml"
pty=$(path_of "$(endpoint sim bus)")
n_acks=0
fault() {
  sim_cmd sim "{\"cmd\":\"fault\",\"device\":\"bad\",$1}"
  sim_cmd sim '{"cmd":"clear","device":"good"}'   # a second ack marks that the first was applied
  n_acks=$((n_acks + 2))
  wait_count "$T/sim.out" '"kind":"ack"' $n_acks
}
clear() {
  sim_cmd sim '{"cmd":"clear","device":"bad"}'
  n_acks=$((n_acks + 1))
  wait_count "$T/sim.out" '"kind":"ack"' $n_acks
}
rtu() { $RAW rtu "$pty" 0300000001 "$@"; }

jq_eq "$(rtu --unit 1)" '[.hex[0:10], .crc_ok]' '["0103020102",true]'
jq_eq "$(rtu --unit 3)" '[.hex[0:10], .crc_ok]' '["0303020102",true]'
# From the file: busy (exception 06) every 2nd request.
assert_eq "$(rtu --unit 2 --count 4 | jq -r '.hex[0:6]' | paste -sd' ')" "020302 028306 020302 028306" "busy every 2nd"

fault '"kind":"bad_crc"'
jq_eq "$(rtu --unit 3)" '[.hex[0:10], .crc_ok]' '["0303020102",false]'
clear

fault '"kind":"split","delay":"200ms"'
out=$(rtu --unit 3 --timeout 2 --idle 0.5)
jq_eq "$out" '[.hex[0:10], .crc_ok]' '["0303020102",true]'
# At least one pause (a loaded machine may add another, never remove this one).
[[ $(jq '[.gaps_ms[] | select(. >= 150)] | length' <<<"$out") -ge 1 ]] || fail "no pause inside the frame: $out"
clear

fault '"kind":"slow","ms_per_byte":40'
out=$(rtu --unit 3 --timeout 2 --idle 0.5)
jq_eq "$out" '.crc_ok' true
[[ $(jq '.gaps_ms | length >= 4' <<<"$out") == true ]] || fail "bytes not slow: $out"
clear

fault '"kind":"truncate"'
jq_eq "$(rtu --unit 3)" '.hex' '"03030201"'   # 7 bytes less half (3)
clear

fault '"kind":"garbage","bytes":5'
out=$(rtu --unit 3 | jq -r .hex)
assert_eq "${#out}" 24 "5 garbage bytes and the 7-byte answer"
assert_eq "${out:10:10}" "0303020102" "the answer after the garbage"
clear

fault '"kind":"wrong_unit"'
jq_eq "$(rtu --unit 3)" '[.hex[0:10], .crc_ok]' '["0403020102",true]'
clear

fault '"kind":"timeout"'
jq_eq "$(rtu --unit 3 --timeout 0.4)" '.hex' '""'
clear
jq_eq "$(rtu --unit 3)" '.crc_ok' true
