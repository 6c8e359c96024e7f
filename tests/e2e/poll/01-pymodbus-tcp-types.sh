#!/usr/bin/env bash
# Every value type in every word order, scaling, strings, coils, discrete and input
# registers read from pymodbus's Modbus/TCP server.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/types_lib.bash"
need jq
need_pymodbus
port=$(free_port)
start_pymodbus server tcp "$port"
for _ in $(seq 50); do iot-poll read "tcp://127.0.0.1:$port" hr:0 --no-stats >/dev/null 2>&1 && break; sleep 0.1; done
check_all_types "tcp://127.0.0.1:$port"
