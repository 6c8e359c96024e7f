#!/usr/bin/env bash
# The same values over RTU on a serial line: a pty pair made by socat, pymodbus's
# serial server on one end, iot-poll on the other.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/types_lib.bash"
need jq socat
need_pymodbus
bg socat socat pty,raw,echo=0,link="$T/dev-server" pty,raw,echo=0,link="$T/dev-poll"
for _ in $(seq 50); do [[ -e $T/dev-poll ]] && break; sleep 0.1; done
start_pymodbus server rtu "$T/dev-server" 115200
target="rtu:$T/dev-poll?baud=115200&parity=N"
for _ in $(seq 50); do iot-poll read "$target" hr:0 --no-stats --timeout 200ms >/dev/null 2>&1 && break; sleep 0.1; done
check_all_types "$target"
