#!/usr/bin/env bash
# iot-poll --trace: a frame record for every request and answer (the fields iot-decode
# writes for the same bytes, plus port and latency_ms), to stdout among the readings or to a
# file; bytes that made no answer (a bad CRC) as a frame record with status. -v: TX/RX hex
# lines with times on stderr. Against iot-sim (TCP; RTU on a pty with a bad_crc fault) and
# pymodbus (RTU over TCP).
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
. "$IOT_SOURCE/tests/e2e/poll/types_lib.bash"
need jq
need_pymodbus
port=$(free_port)
cat >"$T/site.toml" <<TOML
[[port]]
name = "gw"
url = "tcp://127.0.0.1:$port"
[[port.device]]
name = "d1"
unit = 1
[[port.device.point]]
name = "a"
addr = "hr:0"
generator = { kind = "constant", value = 1234 }
[[port.device.point]]
name = "b"
addr = "hr:1"
generator = { kind = "constant", value = 42 }
[[port]]
name = "bus"
url = "rtu:pty?baud=19200"
[[port.device]]
name = "d2"
unit = 2
[[port.device.point]]
name = "c"
addr = "hr:0"
generator = { kind = "constant", value = 7 }
TOML
start_sim sim "$T/site.toml"
t="tcp://127.0.0.1:$port"

# To stdout, among the readings (JSON Lines chosen by --trace).
iot-poll read "$t" hr:0:2 --no-stats --trace >"$T/out.jsonl"
validate_records "$T/out.jsonl"
assert_eq "$(jq -r .kind "$T/out.jsonl" | paste -sd' ' -)" "frame frame reading reading" "record kinds"
jq_eq "$(jq -c 'select(.kind=="frame")' "$T/out.jsonl" | head -1)" \
  '[.direction,.framing,.unit,.fc,.addr,.count,.port,.hex]' '["request","tcp",1,3,0,2,"'"$t"'","000100000006010300000002"]'
jq_eq "$(jq -c 'select(.kind=="frame")' "$T/out.jsonl" | tail -1)" \
  '[.direction,.unit,.fc,.values,.tid,(.latency_ms >= 0)]' '["response",1,3,[1234,42],1,true]'
# The same fields iot-decode writes for the same bytes.
for hex in $(jq -r 'select(.kind=="frame") | .hex' "$T/out.jsonl"); do
  dir=$(jq -r --arg h "$hex" 'select(.kind=="frame" and .hex==$h) | .direction' "$T/out.jsonl")
  ours=$(jq -c --arg h "$hex" 'select(.kind=="frame" and .hex==$h) | del(.ts,.port,.latency_ms)' "$T/out.jsonl")
  theirs=$(iot-decode frame --framing tcp "$hex" | jq -c --arg d "$dir" 'del(.ts) | .direction = $d')
  # iot-decode alone cannot know a response's addr (no --pair): compare what both have.
  assert_eq "$(jq -c --argjson t "$theirs" 'with_entries(select(.key as $k | $t | has($k)))' <<<"$ours")" \
    "$(jq -c --argjson o "$ours" 'with_entries(select(.key as $k | $o | has($k)))' <<<"$theirs")" "frame $hex vs iot-decode"
done
# A table or csv on stdout cannot carry records: a file then.
assert_status 2 iot-poll read "$t" hr:0 --trace --format csv
# To a file: stdout keeps only the readings.
iot-poll read "$t" hr:0:2 --no-stats --trace="$T/trace.jsonl" >"$T/out2.jsonl"
assert_eq "$(jq -r .kind "$T/out2.jsonl" | paste -sd' ' -)" "reading reading" "stdout with --trace FILE"
assert_eq "$(jq -r .direction "$T/trace.jsonl" | paste -sd' ' -)" "request response" "trace file"
validate_records "$T/trace.jsonl"
# -v: TX and RX hex lines with times on stderr; stdout unchanged.
iot-poll -v read "$t" hr:0:2 --no-stats >"$T/out3.jsonl" 2>"$T/v.err"
grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} tcp://127\.0\.0\.1:[0-9]+ TX 00 01 00 00 00 06 01 03 00 00 00 02$' "$T/v.err" ||
  fail "no TX line: $(cat "$T/v.err")"
grep -Eq '^[0-9:.]+ tcp://\S+ RX 00 01 00 00 00 07 01 03 04 04 D2 00 2A$' "$T/v.err" || fail "no RX line: $(cat "$T/v.err")"
assert_eq "$(jq -r .kind "$T/out3.jsonl" | paste -sd' ' -)" "reading reading" "stdout with -v"

# RTU on the simulator's pty, site mode: every frame, and a bad CRC shown with status crc.
pty=$(jq -r 'select(.kind=="ready") | .endpoints[] | select(.port=="bus") | .path' "$T/sim.out")
sim_cmd sim '{"cmd":"fault","device":"d2","kind":"bad_crc","every":2}'
iot-poll read "rtu:$pty?baud=19200" -u 2 hr:0 --count 4 --interval 100ms --timeout 300ms --no-stats --trace >"$T/rtu.jsonl" || true
validate_records "$T/rtu.jsonl"
assert_eq "$(jq -r 'select(.kind=="frame" and .direction=="request") | .hex' "$T/rtu.jsonl" | sort -u)" "0203000000018439" "rtu requests"
has_record "$T/rtu.jsonl" 'select(.kind=="frame" and .direction=="response" and .crc_ok==true and .values==[7])' ||
  fail "no good answer traced"
has_record "$T/rtu.jsonl" 'select(.kind=="frame" and .status=="crc" and .crc_ok==false)' || fail "bad CRC not traced"
sim_cmd sim '{"cmd":"clear"}'

# pymodbus, RTU over TCP: the answer as the peer framed it.
pport=$(free_port)
start_pymodbus pm rtu+tcp "$pport"
pt="rtu+tcp://127.0.0.1:$pport"
for _ in $(seq 50); do iot-poll read "$pt" hr:0 --no-stats >/dev/null 2>&1 && break; sleep 0.1; done
iot-poll read "$pt" -u 2 ir:0:2 --no-stats --trace >"$T/pm.jsonl"
validate_records "$T/pm.jsonl"
jq_eq "$(jq -c 'select(.kind=="frame" and .direction=="response")' "$T/pm.jsonl")" \
  '[.framing,.unit,.fc,.values,.crc_ok]' '["rtu-over-tcp",2,4,[10,20],true]'
