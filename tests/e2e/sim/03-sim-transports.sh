#!/usr/bin/env bash
# pymodbus's TCP client reads the site file's values; a unit id nobody has gets the
# gateway exception the site file picks (unknown_unit = 0x0B); the same device
# model answers over UDP, RTU over TCP and ASCII on a pty; FC 08, 11 and 2B/0E.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
need jq
/usr/bin/python3 -c 'import pymodbus' 2>/dev/null || missing_peer "python3-pymodbus missing"

start_sim sim run -c "$IOT_SOURCE/tests/e2e/sim/test-site.toml"
gw=$(hostport "$(endpoint sim gw)")

/usr/bin/python3 - "${gw%:*}" "${gw##*:}" <<'PY'
import struct, sys
from pymodbus.client import ModbusTcpClient
c = ModbusTcpClient(sys.argv[1], port=int(sys.argv[2]), timeout=2)
assert c.connect()
r = c.read_holding_registers(0, 9, slave=1)
assert r.registers == [65413, 40, 0x449A, 0x5000, 10025, 0, 0, 7, 65290], r.registers
assert struct.unpack(">f", struct.pack(">HH", *r.registers[2:4]))[0] == 1234.5
r = c.read_holding_registers(0, 1, slave=2)
assert r.registers == [215], r.registers
assert c.read_input_registers(0, 1, slave=1).registers == [99]
assert c.read_discrete_inputs(0, 1, slave=1).bits[0] is True
# FC 16 and FC 23 (0x16, 0x17)
assert not c.mask_write_register(6, 0x00FF, 0x1200, unit=2).isError()
r = c.read_holding_registers(6, 1, slave=2)
assert r.registers == [0x1200], r  # (0 AND 0x00FF) OR (0x1200 AND 0xFF00)
r = c.readwrite_registers(read_address=6, read_count=1, write_address=6, write_registers=[99], unit=2)
assert r.registers == [99], r
# FC 0F
assert not c.write_coils(0, [True], slave=2).isError()
assert c.read_coils(0, 1, slave=2).bits[0] is True
# unit 9: the configured gateway exception 0x0B
r = c.read_holding_registers(0, 1, slave=9)
assert r.isError() and r.exception_code == 0x0B, r
# unsupported function: exception 01; bad quantity: 03; outside the map: 02
r = c.read_holding_registers(0, 126, slave=1)
assert r.isError() and r.exception_code == 3, r
r = c.read_holding_registers(100, 1, slave=1)
assert r.isError() and r.exception_code == 2, r
print("pymodbus tcp ok")
PY

# FC 07 is not served: exception 01.
jq_eq "$($RAW tcp "$gw" 07 --unit 1 --tid 77)" .hex '"004d00000003018701"'
# FC 08 sub-function 0 echoes.
jq_eq "$($RAW tcp "$gw" 080000abcd --unit 1 --tid 2)" .hex '"00020000000601080000abcd"'
# FC 11: byte count, server id (the unit), run indicator ON, the device name.
out=$($RAW tcp "$gw" 11 --unit 2)
assert_contains "$(jq -r .hex <<<"$out")" "02110802ff$(printf 'meter2' | xxd -p)" "report server id"
# FC 2B/0E basic: vendor "iot", product code = model name.
out=$($RAW tcp "$gw" 2b0e0100 --unit 1)
assert_contains "$(jq -r .hex <<<"$out")" "$(printf 'T-METER' | xxd -p)" "device identification"

# UDP (MBAP datagrams)
jq_eq "$($RAW udp "$(hostport "$(endpoint sim udp)")" 0300000001 --unit 1 --tid 5)" .hex '"00050000000501030'"2ff85"'"'
# RTU over TCP
out=$($RAW rtu+tcp "$(hostport "$(endpoint sim rtutcp)")" 0300010001 --unit 3)
jq_eq "$out" '[.hex[0:10], .crc_ok]' '["0303020028",true]'
# ASCII on a pty: ":" hex LRC CR LF
out=$($RAW ascii "$(path_of "$(endpoint sim ascii)")" 0300010001 --unit 5)
assert_eq "$(jq -r .hex <<<"$out" | xxd -r -p | tr -d '\r\n')" ":0503020028CE" "ascii answer"
