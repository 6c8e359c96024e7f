# RTU over TCP on a given port, and a serial capture (link type 147) with a
# corrupted frame that is flagged, not dropped.
. "$IOT_SOURCE/tests/lib.sh"
caps="$IOT_SOURCE/examples/captures"
iot-decode pcap --framing rtu-over-tcp --port 4001 "$caps/rtu-over-tcp.pcap" >"$T/rot.jsonl"
validate_records "$T/rot.jsonl"
assert_eq "$(wc -l <"$T/rot.jsonl")" 20 "RTU-over-TCP frames"
assert_eq "$(jq -r .framing "$T/rot.jsonl" | sort -u)" "rtu-over-tcp" "framing"
assert_eq "$(jq -c 'select(.crc_ok==false)' "$T/rot.jsonl")" "" "bad CRCs"
assert_eq "$(jq -c 'select(.direction=="response" and .fc==3) | [.addr,.count,.values]' "$T/rot.jsonl" | head -2 | tr '\n' ' ')" \
  "[0,4,[0,0,0,0]] [107,3,[555,0,100]] " "paired responses"

iot-decode pcap "$caps/serial-rtu.pcap" >"$T/serial.jsonl"
validate_records "$T/serial.jsonl"
assert_eq "$(wc -l <"$T/serial.jsonl")" 24 "serial frames"
assert_eq "$(jq -c 'select(.crc_ok==false) | [.unit,.fc]' "$T/serial.jsonl")" "[3,16]" "corrupted frame"
assert_eq "$(jq -r 'select(.direction=="request") | .unit' "$T/serial.jsonl" | wc -l)" 12 "requests"
# Not a capture: a clear error and the io status.
echo "not a capture" >"$T/bad.pcap"
status=0; err=$(iot-decode pcap "$T/bad.pcap" 2>&1 >/dev/null) || status=$?
assert_eq "$status" 4 "exit status for a bad capture"
assert_contains "$err" "bad.pcap"
