#!/usr/bin/env bash
# Over the pty the simulator creates (rtu:pty, with wire timing at 38400 8E1):
# mbpoll and pymodbus's serial client read the site file's values; a unit id
# that no device on the bus has gets no answer; ids repeat across ports.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
need mbpoll jq
/usr/bin/python3 -c 'import pymodbus, serial' 2>/dev/null || missing_peer "python3-pymodbus or python3-serial missing"

start_sim sim run -c "$IOT_SOURCE/tests/e2e/sim/test-site.toml"
pty=$(path_of "$(endpoint sim bus)")
[[ -e $pty ]] || fail "no pty $pty"

out=$(mbpoll -m rtu -b 38400 -P even -1 -0 -a 7 -r 0 -c 3 "$pty" | sed -n 's/^\[[0-9]*\]: *//p' | tr -d '\t' | paste -sd' ')
assert_eq "$out" "65413 (-123) 777 17562" "mbpoll over the pty"

/usr/bin/python3 - "$pty" <<'PY'
import sys
from pymodbus.client import ModbusSerialClient
# pyserial cannot set parity on a pty (EINVAL); a pty has no parity bit anyway.
c = ModbusSerialClient(port=sys.argv[1], baudrate=38400, parity="N", stopbits=1, bytesize=8, timeout=1, retries=0)  # pymodbus 3.0 truncates timeout to int
assert c.connect()
r = c.read_holding_registers(0, 9, slave=1)
assert not r.isError(), r
assert r.registers == [65413, 40, 0x449A, 0x5000, 10025, 0, 0, 7, 65290], r.registers
r = c.read_holding_registers(1, 1, slave=7)
assert r.registers == [777], r.registers
w = c.write_register(6, 1234, slave=7)
assert not w.isError(), w
assert c.read_holding_registers(6, 1, slave=7).registers == [1234]
# unit 1 on this bus is another device than unit 1 on the TCP port: its setpoint is untouched
assert c.read_holding_registers(6, 1, slave=1).registers == [0]
# nobody has unit 9 on the bus: no answer at all
r = c.read_holding_registers(0, 1, slave=9)
assert r.isError() and not hasattr(r, "exception_code"), r
print("pymodbus ok")
PY

# Raw: silence for an unknown unit, and a frame with a bad CRC is ignored too.
out=$($RAW rtu "$pty" 0300000001 --unit 9 --timeout 0.5)
jq_eq "$out" .hex '""'
out=$($RAW rtu "$pty" 0300000001 --unit 1)
jq_eq "$out" '[.hex[0:10], .crc_ok]' '["010302ff85",true]'
