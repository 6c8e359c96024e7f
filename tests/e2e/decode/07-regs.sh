# iot-decode regs: register words as arguments, with every order; frames from
# a paired log turned into named, scaled readings through a site file.
. "$IOT_SOURCE/tests/lib.sh"
v() { iot-decode regs "$@" | jq -c .value; }
assert_eq "$(v 0x42F6 0xE979 --type f32 --order ABCD)" "123.456" "f32 ABCD"
assert_eq "$(v 0xE979 0x42F6 --type f32 --order CDAB)" "123.456" "f32 CDAB"
assert_eq "$(v 0xF642 0x79E9 --type f32 --order BADC)" "123.456" "f32 BADC"
assert_eq "$(v 0x79E9 0xF642 --type f32 --order DCBA)" "123.456" "f32 DCBA"
assert_eq "$(v 65535 --type i16)" "-1" "i16"
assert_eq "$(v --hex 0001 86A0 --type u32)" "100000" "u32 with --hex"
assert_eq "$(v 1234 --zero 34 --decimals 1)" "120" "zero and decimals"
assert_eq "$(v 0x4142 0x4300 --type string)" '"ABC"' "string"
assert_eq "$(iot-decode regs 1 2 3 --addr ir:10 | jq -r .point | tr '\n' ' ')" "ir:10 ir:11 ir:12 " "points named by address"
status=0; err=$(iot-decode regs 0x1 --type f32 2>&1) || status=$?
assert_eq "$status" 2 "too few words"; assert_contains "$err" "f32 needs 2 words, got 1"
status=0; err=$(iot-decode regs 70000 2>&1) || status=$?
assert_eq "$status" 2 "word out of range"; assert_contains "$err" "word 1 '70000'"

# A site file names and scales what a paired log carried.
cat >"$T/site.toml" <<'TOML'
[site]
name = "t"
[[port]]
name = "bus1"
url = "rtu:/dev/null"
[[port.device]]
name = "ctrl1"
unit = 1
[[port.device.point]]
name = "lel"
addr = "hr:1"
decimals = 1
uom = "%LEL"
[[port.device.point]]
name = "flow"
addr = "hr:2"
type = "u32"
TOML
crc() {  # CRC-16/MODBUS of hex bytes, as two hex bytes low first
  python3 -c 'import sys
c=0xFFFF
for b in bytes.fromhex(sys.argv[1]):
  c^=b
  for _ in range(8): c=(c>>1)^0xA001 if c&1 else c>>1
print(f"{c&255:02x} {c>>8:02x}")' "$1"
}
rsp="01 03 08 00 14 03 12 00 01 00 02"
printf '01 03 00 00 00 04 44 09\n%s %s\n' "$rsp" "$(crc "$rsp")" >"$T/log.hex"
iot-decode frame --pair <"$T/log.hex" | iot-decode regs -c "$T/site.toml" >"$T/readings.jsonl"
validate_records "$T/readings.jsonl"
assert_eq "$(jq -c '[.device,.point,.value,.uom,.raw]' "$T/readings.jsonl" | tr '\n' ' ')" \
  '["ctrl1","lel",78.6,"%LEL",[786]] ["ctrl1","flow",65538,null,[1,2]] ' "readings from the site"
