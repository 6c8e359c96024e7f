#!/usr/bin/env bash
# The same values through RTU framing over TCP (serial device servers), pymodbus's
# server with its RTU framer on a TCP socket.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/types_lib.bash"
need jq
need_pymodbus
port=$(free_port)
start_pymodbus server rtu+tcp "$port"
for _ in $(seq 50); do iot-poll read "rtu+tcp://127.0.0.1:$port" hr:0 --no-stats >/dev/null 2>&1 && break; sleep 0.1; done
check_all_types "rtu+tcp://127.0.0.1:$port"
