#!/usr/bin/env bash
# mbpoll reads over Modbus TCP exactly what the site file's generators say, writes
# a holding register and reads it back; the write is logged; records are valid.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
need mbpoll jq

start_sim sim run -c "$IOT_SOURCE/tests/e2e/sim/test-site.toml" --log
port=$(port_of "$(endpoint sim gw)")
regs() { mbpoll -m tcp -p "$port" -1 -0 "$@" 127.0.0.1 | sed -n 's/^\[[0-9]*\]: *//p' | tr -d '\t' | paste -sd' '; }

# temp -12.3 (i16, 1 decimal), level 40, power 1234.5 f32 ABCD, energy 100.25 (u32 CDAB, scale 0.01),
# setpoint 0, fixed 7, double_temp = 2 * temp.
assert_eq "$(regs -a 1 -r 0 -c 9 -t 4:hex)" "0xFF85 0x0028 0x449A 0x5000 0x2729 0x0000 0x0000 0x0007 0xFF0A" "meter1 hr:0-8"
# meter2 overrides temp with 21.5; the link follows it.
assert_eq "$(regs -a 2 -r 0 -c 1)" "215" "meter2 temp"
assert_eq "$(regs -a 2 -r 8 -c 1)" "430" "meter2 double_temp"
assert_eq "$(regs -a 1 -r 0 -c 1 -t 3)" "99" "input register"
assert_eq "$(regs -a 1 -r 0 -c 1 -t 1)" "1" "discrete input"

# Write the setpoint, read it back.
mbpoll -m tcp -p "$port" -1 -0 -a 1 -r 6 127.0.0.1 -- 4321 >/dev/null
assert_eq "$(regs -a 1 -r 6 -c 1)" "4321" "setpoint after write"
# Writing a generated point stops its generator.
mbpoll -m tcp -p "$port" -1 -0 -a 1 -r 1 127.0.0.1 -- 55 >/dev/null
assert_eq "$(regs -a 1 -r 1 -c 1)" "55" "level after write"
# A coil.
mbpoll -m tcp -p "$port" -1 -0 -a 1 -r 0 -t 0 127.0.0.1 -- 1 >/dev/null
assert_eq "$(regs -a 1 -r 0 -c 1 -t 0)" "1" "coil after write"
# A read-only point refuses the write (exception 02).
out=$(mbpoll -m tcp -p "$port" -1 -0 -a 1 -r 7 127.0.0.1 -- 9 2>&1 || true)
assert_contains "$out" "Illegal data address"
assert_eq "$(regs -a 1 -r 7 -c 1)" "7" "fixed after refused write"
# replay (first row), walk (its start before its first step), ramp (its start).
assert_eq "$(regs -a 1 -r 9 -c 3)" "321 50 10" "replay, walk, ramp"
# Outside the map: exception 02.
out=$(mbpoll -m tcp -p "$port" -1 -0 -a 1 -r 0 -c 13 127.0.0.1 2>&1 || true)
assert_contains "$out" "Illegal data address"

wait_for_line "$T/sim.out" '"kind":"write".*"setpoint":4321'
jq_eq "$(grep '"kind":"write"' "$T/sim.out" | head -1)" '[.device, .addr, .points.setpoint]' '["meter1","hr:6",4321]'
# --log: one frame record per request, here the last read of 10 registers.
jq_eq "$(grep '"kind":"frame"' "$T/sim.out" | tail -1)" '[.fc, .addr, .count, .port, .device]' '[3,0,13,"gw","meter1"]'
kill -INT "$sim_pid"
wait "$sim_pid" || fail "iot-sim exited with $?"
grep -q '"kind":"stats"' "$T/sim.out" || fail "no stats record"
validate_records "$T/sim.out"
