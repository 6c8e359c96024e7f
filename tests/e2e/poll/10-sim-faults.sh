#!/usr/bin/env bash
# For every iot-sim fault kind iot-poll reports the right quality and keeps
# polling the healthy device on the same port. RTU framing over TCP (so CRC and
# unit faults apply) and Modbus/TCP (transaction ids, dropped connections).
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq
p1=$(free_port); p2=$(free_port)
dev() {  # name unit fault
  printf '[[port.device]]\nname = "%s"\nunit = %s\n%s\n[[port.device.point]]\nname = "v"\naddr = "hr:0"\ngenerator = { kind = "constant", value = %s }\n' \
    "$1" "$2" "${3:+fault = $3}" "$2"
}
{
  printf '[site]\nname = "faults"\n[defaults]\ninterval = "100ms"\ntimeout = "300ms"\nretries = 0\noffline_after = 1000\nreconnect = "1s"\n'
  printf '[[port]]\nname = "rtu"\nurl = "rtu+tcp://127.0.0.1:%s"\n' "$p1"
  dev healthy 1 ''
  dev silent 2 '{ kind = "timeout" }'
  dev exc 3 '{ kind = "exception", code = 2 }'
  dev crc 4 '{ kind = "bad_crc" }'
  dev cut 5 '{ kind = "truncate" }'
  dev split 6 '{ kind = "split", delay = "20ms" }'
  dev junk 7 '{ kind = "garbage", bytes = 5 }'
  dev slow 8 '{ kind = "slow", ms_per_byte = 2 }'
  dev late 9 '{ kind = "delay", delay = "450ms" }'
  dev other 10 '{ kind = "wrong_unit" }'
  dev busy 11 '{ kind = "busy" }'
  printf '[[port]]\nname = "tcp"\nurl = "tcp://127.0.0.1:%s"\n' "$p2"
  dev healthy2 1 ''
  dev tid 2 '{ kind = "wrong_tid" }'
  dev dropper 3 '{ kind = "drop", every = 5 }'
  dev flap 4 '{ kind = "flap", offline = "500ms", online = "500ms" }'
} >"$T/site.toml"
start_sim sim "$T/site.toml"
open_input poll
iot-poll run -c "$T/site.toml" --duration 4s --format jsonl <"$T/poll.in" >"$T/poll.jsonl" 2>"$T/poll.err" &
pid=$!; _iot_pids+=("$pid")
wait "$pid" || fail "iot-poll failed: $(cat "$T/poll.err")"
validate_records "$T/poll.jsonl"
q() {  # device -> sorted unique qualities
  jq -r --arg d "$1" 'select(.kind=="reading" and .device==$d) | .quality' "$T/poll.jsonl" | sort -u | paste -sd, -
}
assert_eq "$(q healthy)" ok "healthy device on the rtu+tcp port"
assert_eq "$(q healthy2)" ok "healthy device on the tcp port"
assert_eq "$(q silent)" timeout silent
assert_eq "$(q exc)" exception exception
assert_eq "$(jq -r 'select(.kind=="reading" and .device=="exc") | .error' "$T/poll.jsonl" | sort -u)" illegal_data_address "exception name"
assert_eq "$(q crc)" crc bad_crc
assert_eq "$(q cut)" error truncate
assert_contains "$(jq -r 'select(.kind=="reading" and .device=="cut") | .error' "$T/poll.jsonl" | head -1)" "incomplete answer"
assert_eq "$(q split)" ok split
assert_eq "$(q junk)" ok garbage
assert_eq "$(q slow)" ok slow
assert_eq "$(q late)" timeout delay
assert_eq "$(q other)" error wrong_unit
assert_contains "$(jq -r 'select(.kind=="reading" and .device=="other") | .error' "$T/poll.jsonl" | head -1)" "answer from unit"
assert_eq "$(q busy)" exception busy
assert_eq "$(jq -r 'select(.kind=="reading" and .device=="busy") | .error' "$T/poll.jsonl" | sort -u)" server_device_busy "busy exception"
assert_eq "$(q flap)" ok,timeout flap
assert_eq "$(q tid)" error wrong_tid
assert_contains "$(q dropper)" ok "drop: readings between reconnects"
grep -q '"port":"tcp","state":"disconnected"' "$T/poll.jsonl" || fail "no disconnected status after a drop"
grep -q '"port":"tcp","state":"connected"' "$T/poll.jsonl" || fail "no connected status after the reconnect"
# The healthy devices kept being polled: about 12 cycles in 4 s on the tcp port (the
# wrong_tid device waits out its 300 ms timeout each cycle)
# (generous bounds); the rtu port cycle is long (several faulty devices time out each cycle).
n=$(jq -r 'select(.kind=="reading" and .device=="healthy2") | .quality' "$T/poll.jsonl" | wc -l)
(( n >= 8 )) || fail "healthy2 has only $n readings"
n=$(jq -r 'select(.kind=="reading" and .device=="healthy") | .quality' "$T/poll.jsonl" | wc -l)
(( n >= 2 )) || fail "healthy has only $n readings"
# The late answer of "late" never landed on the next device: every healthy value is its own.
assert_eq "$(jq -r 'select(.kind=="reading" and .device=="healthy" and .quality=="ok") | .value' "$T/poll.jsonl" | sort -u)" 1 "healthy values"
assert_eq "$(jq -r 'select(.kind=="reading" and (.device=="other" or .device=="slow") and .quality=="ok") | .value' "$T/poll.jsonl" | sort -u | paste -sd,)" 8 "values after late answers"
has_record "$T/poll.jsonl" 'select(.kind=="stats" and .port=="rtu" and .timeouts > 0 and .crc_errors > 0 and .exceptions > 0)' || fail "stats"
# Answers from the wrong unit or transaction were discarded and counted; the late answers
# of the delayed device (on the rtu port) too.
has_record "$T/poll.jsonl" 'select(.kind=="stats" and .port=="rtu" and .mismatch > 0 and .late > 0)' || fail "rtu stats: $(grep '"stats"' "$T/poll.jsonl")"
has_record "$T/poll.jsonl" 'select(.kind=="stats" and .port=="tcp" and .mismatch > 0)' || fail "tcp stats: $(grep '"stats"' "$T/poll.jsonl")"
