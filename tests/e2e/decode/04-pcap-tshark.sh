# iot-decode pcap agrees with tshark's Modbus dissector on unit, function,
# reference, register values and exception codes for every ADU of a capture of
# mixed Modbus TCP traffic (pipelined ADUs, an ADU split over two segments,
# exceptions, two connections).
. "$IOT_SOURCE/tests/lib.sh"
need tshark
cap="$IOT_SOURCE/examples/captures/modbus-tcp.pcap"
iot-decode pcap "$cap" >"$T/records.jsonl"
validate_records "$T/records.jsonl"
/usr/bin/python3 "$IOT_SOURCE/tests/e2e/decode/compare-tshark.py" "$cap" "$T/records.jsonl"
# Responses are paired by transaction id: every response has its request's address.
missing=$(jq -c 'select(.direction=="response" and (.fc|IN(1,2,3,4)) and (has("exception")|not) and (has("addr")|not))' "$T/records.jsonl")
[[ -z $missing ]] || fail "responses without addr: $missing"
# Capture time stamps are kept.
assert_eq "$(head -1 "$T/records.jsonl" | jq -r .ts)" "2026-11-21T08:00:00.002Z" "first ts"
