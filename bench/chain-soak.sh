#!/usr/bin/env bash
# The chain test of tests/e2e/chain/ run long: iot-sim -> iot-poll -> pub -> Mosquitto
# -> sub -> iot-export sqlite + postgres, with a SIGKILL every FAULT_EVERY seconds
# (Mosquitto three times out of six, sub, each exporter), then every reading checked
# in both databases, and the RSS and open files of each process at start and end.
# Usage: bench/chain-soak.sh [SECONDS] [FAULT_EVERY]   (defaults: 1800 60)
# Writes the figures as JSON to $CHAIN_REPORT (default: chain-soak.json here).
set -euo pipefail
cd "$(dirname "$0")/.."
export IOT_SOURCE=$PWD IOT_BIN=${IOT_BIN:-$PWD/${IOT_BUILD:-build}/bin}
export CHAIN_SECONDS=${1:-1800} FAULT_EVERY=${2:-60}
export CHAIN_REPORT=${CHAIN_REPORT:-$PWD/chain-soak.json}
start=$(date +%s)
bash tests/e2e/chain/01-chain-chaos.sh
echo "chain-soak: $CHAIN_SECONDS s of polling, a fault every $FAULT_EVERY s, $(( $(date +%s) - start )) s in all; figures in $CHAIN_REPORT"
