#!/usr/bin/env bash
# write (FC06, FC16, FC05, FC15, f32 over two registers) read back, exception
# answers, scan of unit ids, UDP reads, and `| head -n 1` ending quietly with 0.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/types_lib.bash"
need jq
need_pymodbus
port=$(free_port)
start_pymodbus server tcp "$port"
t="tcp://127.0.0.1:$port"
for _ in $(seq 50); do iot-poll read "$t" hr:0 --no-stats >/dev/null 2>&1 && break; sleep 0.1; done

out=$(iot-poll write "$t" -u 1 hr:60=123)
jq_eq "$out" '[.kind,.fc,.ok,.raw,.addr]' '["write",6,true,[123],"hr:60"]'
jq_eq "$(iot-poll read "$t" hr:60 --no-stats)" .value 123
jq_eq "$(iot-poll write "$t" hr:61=1,2,3)" '[.fc,.ok]' '[16,true]'
jq_eq "$(iot-poll write "$t" --multi hr:64=9)" '[.fc,.ok]' '[16,true]'
jq_eq "$(iot-poll read "$t" hr:61:4 --no-stats | jq -s -c 'map(.value)')" . '[1,2,3,9]'
jq_eq "$(iot-poll write "$t" hr:66=-1.25 --type f32 --order CDAB)" '[.fc,.raw]' '[16,[0,49056]]'
jq_eq "$(iot-poll read "$t" hr:66 --type f32 --order CDAB --no-stats)" .value -1.25
jq_eq "$(iot-poll write "$t" coil:10=1)" '[.fc,.ok]' '[5,true]'
jq_eq "$(iot-poll write "$t" coil:11=1,0,1)" '[.fc,.ok]' '[15,true]'
jq_eq "$(iot-poll read "$t" coil:10:4 --no-stats | jq -s -c 'map(.value)')" . '[true,true,false,true]'
# An address outside the map: exception 02, exit status 7.
assert_status 7 iot-poll write "$t" hr:5000=1
jq_eq "$(iot-poll write "$t" hr:5000=1 || true)" '[.ok,.quality,.exception.code,.error]' '[false,"exception",2,"illegal_data_address"]'
jq_eq "$(iot-poll read "$t" hr:5000 --no-stats || true)" '[.quality,.error,.value]' '["exception","illegal_data_address",null]'
assert_status 7 iot-poll read "$t" hr:5000 --no-stats
# Usage errors.
assert_status 2 iot-poll write "$t" hr:1
assert_status 2 iot-poll write "$t" ir:1=5
assert_status 2 iot-poll read "$t" hr:0 --type f33
# Nothing listening: io error, status 4.
assert_status 4 iot-poll read "tcp://127.0.0.1:$(free_port)" hr:0

# scan: units 1 and 2 answer, 3-6 do not.
jq_eq "$(iot-poll scan "$t" --units 1-6 --timeout 100ms | jq -s -c 'map(select(.kind=="status") | .unit)')" . '[1,2]'
jq_eq "$(iot-poll scan "$t" --units 1-6 --timeout 100ms | tail -1)" '[.kind,.found,.settings[0].units]' '["scan",2,[1,2]]'

# | head -n 1 ends quietly with status 0 while polling forever.
set +o pipefail
iot-poll read "$t" hr:0:10 --interval 10ms 2>"$T/head.err" | head -n 1 >"$T/head.out"
status=${PIPESTATUS[0]}
set -o pipefail
assert_eq "$status" 0 "exit status of iot-poll | head -n 1"
assert_eq "$(wc -l <"$T/head.out")" 1 "lines"
assert_eq "$(cat "$T/head.err")" "" "stderr"

# csv and table formats (NO_COLOR is set by tests/lib.sh: no escape sequences).
assert_eq "$(iot-poll read "$t" hr:0 --format csv --no-stats | head -1)" "ts,kind,port,unit,device,point,addr,value,uom,quality,alarm,detail" "csv header"
table=$(iot-poll read "$t" hr:0:3 --format table --no-stats --color always)
assert_contains "$table" "unit1"
assert_contains "$table" "hr:2="
[[ $table != *$'\e'* ]] || fail "escape sequences in spite of NO_COLOR"

# UDP.
uport=$(free_port)
start_pymodbus udp udp "$uport"
for _ in $(seq 50); do iot-poll read "udp://127.0.0.1:$uport" hr:0 --no-stats >/dev/null 2>&1 && break; sleep 0.1; done
jq_eq "$(iot-poll read "udp://127.0.0.1:$uport" ir:0:2 --no-stats | jq -s -c 'map(.value)')" . '[10,20]'
