# The seed's request and response, as arguments, on stdin, and paired.
. "$IOT_SOURCE/tests/lib.sh"
out=$(iot-decode frame 01 03 00 00 00 04 44 09)
assert_eq "$(wc -l <<<"$out")" 1 "records"
jq_eq "$out" '[.kind,.framing,.direction,.unit,.fc,.fc_name,.addr,.count,.crc_ok,.hex]' \
  '["frame","rtu","request",1,3,"read_holding_registers",0,4,true,"0103000000044409"]'

printf '01 03 00 00 00 04 44 09\n01 03 08 00 00 00 00 00 00 00 00 95 D7\n' | iot-decode frame --pair >"$T/paired.jsonl"
assert_eq "$(wc -l <"$T/paired.jsonl")" 2 "records"
rsp=$(sed -n 2p "$T/paired.jsonl")
jq_eq "$rsp" '[.direction,.unit,.fc,.addr,.count,.values,.crc_ok]' '["response",1,3,0,4,[0,0,0,0],true]'
jq -e '.latency_ms >= 0' <<<"$rsp" >/dev/null || fail "paired response has no latency_ms"
validate_records "$T/paired.jsonl"

# Without --pair the response still decodes, but has no address.
printf '01 03 08 00 00 00 00 00 00 00 00 95 D7\n' | iot-decode frame >"$T/one.jsonl"
jq_eq "$(cat "$T/one.jsonl")" '[.direction,.values,has("addr")]' '["response",[0,0,0,0],false]'
