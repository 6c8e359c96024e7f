#!/usr/bin/env bash
# A small Acrel cloud platform in a pipe: simulated ADW300 meters publish the
# acrelHW protocol to a broker; `sub --answer acrel` answers their login, para
# and heart as the platform does and writes every message as a record;
# `iot-decode acrel` turns the data messages into readings with units, which
# go into a SQLite database (iot-export) and, for the eye, the power to stdout.
#   examples/mqtt-acrel-platform.sh [BROKER-URL] [METERS] [DATABASE]
# Afterwards: iot-export query --db acrel.db --point p
set -euo pipefail
broker=${1:-mqtt://127.0.0.1:1883}
meters=${2:-20}
db=${3:-acrel.db}
iot-mqtt-bridge acrel-sim -b "$broker" --meters "$meters" --fast 5s --duration 30s >/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
iot-mqtt-bridge sub -b "$broker" -t '/gw/acrelHW/#' -q 1 --answer acrel |
  iot-decode acrel |
  tee >(iot-export sqlite --db "$db") |
  jq -c --unbuffered 'select(.kind == "reading" and .point == "p") | {ts, device, kW: .value}'
