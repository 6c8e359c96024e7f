#!/usr/bin/env bash
# Readings of a Modbus site published to an MQTT broker, one topic per point,
# QoS 1, with a disk spool so nothing is lost while the broker or the network
# is away (or when this pipeline is restarted). Then a subscriber on another
# machine turns the messages back into records.
#   examples/mqtt-site-to-broker.sh [BROKER-URL] [SITE-FILE]
set -euo pipefail
broker=${1:-mqtt://127.0.0.1:1883}
site=${2:-$(dirname "$0")/energy-site.toml}
spool=${SPOOL:-${XDG_STATE_HOME:-$HOME/.local/state}/iot/spool}
# On SIGINT/SIGTERM (Ctrl-C, systemctl stop) the tools flush and stop cleanly;
# the script then ends with their status instead of dying of the signal.
trap : INT TERM
iot-poll run -c "$site" |
  iot-mqtt-bridge pub -b "$broker" -q 1 -t 'site/{device}/{point}' --spool "$spool" --spool-max 512M
# elsewhere:
#   iot-mqtt-bridge sub -b "$broker" -i archive -c -q 1 -t 'site/#' | jq -c '.payload'
