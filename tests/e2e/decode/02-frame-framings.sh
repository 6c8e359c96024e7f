# Framing detection and forcing: RTU by CRC, TCP by MBAP, ASCII by ':' and LRC,
# and the golden output of a mixed log (tests/data/decode/mixed.hex).
. "$IOT_SOURCE/tests/lib.sh"
data="$IOT_SOURCE/tests/data/decode"
iot-decode frame <"$data/mixed.hex" | jq -c 'del(.ts, .latency_ms)' >"$T/mixed.jsonl"
diff -u "$data/mixed.expected.jsonl" "$T/mixed.jsonl" || fail "decoded mixed.hex differs from mixed.expected.jsonl"

out=$(iot-decode frame "00 01 00 00 00 06 11 03 00 6B 00 03")
jq_eq "$out" '[.framing,.tid,.unit,.fc,.addr,.count]' '["tcp",1,17,3,107,3]'
out=$(iot-decode frame ":1103006B00037E")
jq_eq "$out" '[.framing,.unit,.fc,.addr,.count,.crc_ok]' '["ascii",17,3,107,3,true]'
out=$(iot-decode frame --framing rtu "00 01 00 00 00 06 11 03 00 6B 00 03")
jq_eq "$out" '[.framing,.crc_ok]' '["rtu",false]'
# A bad CRC is not an error: the frame is shown with crc_ok false, status 0.
out=$(iot-decode frame 01 03 00 00 00 04 44 0A)
jq_eq "$out" '[.crc_ok,.fc,.count]' '[false,3,4]'
# Exception responses carry code and name.
out=$(iot-decode frame "$(printf '01 83 02 %s' "$(python3 -c 'import sys
d=bytes([1,0x83,2]);c=0xFFFF
for b in d:
  c^=b
  for _ in range(8): c=(c>>1)^0xA001 if c&1 else c>>1
print(f"{c&0xff:02x} {c>>8:02x}")')")")
jq_eq "$out" '[.direction,.fc,.exception.code,.exception.name]' '["response",3,2,"illegal_data_address"]'
