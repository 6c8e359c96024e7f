#!/usr/bin/env bash
# A late RTU answer is never taken for the answer to the next request. iot-sim on a
# pty delays the answers for one register longer than the poll timeout; the next
# request (same unit, same function, same length, another register) must not show
# that register's value, and the stats record counts the late answers.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq
{
  printf '[site]\nname = "late"\n[defaults]\ninterval = "50ms"\ntimeout = "200ms"\nretries = 0\noffline_after = 1000\n'
  printf '[[port]]\nname = "bus"\nurl = "rtu:pty?baud=115200&parity=E"\n'
  printf '[[port.device]]\nname = "meter"\nunit = 1\nfault = { kind = "delay", delay = "300ms", addr = "hr:0:1" }\n'
  printf '[[port.device.point]]\nname = "slow"\naddr = "hr:0"\ngenerator = { kind = "constant", value = 111 }\n'
  printf '[[port.device.point]]\nname = "fast"\naddr = "hr:100"\ngenerator = { kind = "constant", value = 222 }\n'
} >"$T/sim.toml"
start_sim sim "$T/sim.toml"
path=$(jq -r 'select(.kind=="ready") | .endpoints[0].path' "$T/sim.out")
sed "s|rtu:pty|rtu:$path|" "$T/sim.toml" >"$T/poll.toml"
# Two reads per cycle (the points are too far apart for one).
[[ $(iot-poll plan -c "$T/poll.toml" | grep -c FC03) == 2 ]] || fail "expected two reads: $(iot-poll plan -c "$T/poll.toml")"
open_input poll
iot-poll run -c "$T/poll.toml" --duration 3s --format jsonl <"$T/poll.in" >"$T/poll.jsonl" 2>"$T/poll.err" ||
  fail "iot-poll failed: $(cat "$T/poll.err")"
validate_records "$T/poll.jsonl"
# The register of the fast point never reads as the slow one's value...
assert_eq "$(jq -r 'select(.kind=="reading" and .point=="fast" and .quality=="ok") | .value' "$T/poll.jsonl" | sort -u | paste -sd,)" 222 "fast values"
n=$(jq -r 'select(.kind=="reading" and .point=="fast" and .quality=="ok") | .value' "$T/poll.jsonl" | wc -l)
(( n >= 3 )) || fail "only $n good readings of the fast point"
# ...and the slow one times out (its answers all come too late), never good.
assert_eq "$(jq -r 'select(.kind=="reading" and .point=="slow") | .quality' "$T/poll.jsonl" | sort -u | paste -sd,)" timeout "slow qualities"
has_record "$T/poll.jsonl" 'select(.kind=="stats" and .port=="bus" and .late > 0 and .mismatch == 0)' ||
  fail "stats without late answers: $(grep '"stats"' "$T/poll.jsonl")"
