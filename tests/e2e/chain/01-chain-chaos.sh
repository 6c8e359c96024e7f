#!/usr/bin/env bash
# The whole chain under faults (issue: nothing lost, end to end), short version:
# iot-sim with a fault schedule -> iot-poll run (stdin closed) | tee ledger
# | pub -q 1 --spool -> Mosquitto, SIGKILLed and restarted -> sub -q 1 -c
# (SIGKILLed once) -> iot-export sqlite and postgres (each SIGKILLed once),
# with a reader querying both databases every second. Every reading of the
# ledger must be stored exactly once in each. bench/chain-soak.sh runs it long.
# ctest-labels: no-sanitizer
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
. "$IOT_SOURCE/tests/e2e/export/pg-lib"
. "$IOT_SOURCE/tests/e2e/chain/chain-lib.bash"

CHAIN_SECONDS=${CHAIN_SECONDS:-40} FAULT_EVERY=${FAULT_EVERY:-5}
chain_run
((chain_kills[broker] >= 2)) || fail "only ${chain_kills[broker]} broker kills"
((chain_kills[sub] >= 1 && chain_kills[export_sqlite] >= 1 && chain_kills[export_pg] >= 1)) ||
  fail "not every process was killed: $(declare -p chain_kills)"
grep -q '"state":"offline"' "$T/ledger.jsonl" || fail "the fault schedule put no device offline"
echo "chain: ok ($(grep -c '"kind":"reading"' "$T/ledger.jsonl") readings, $(wc -l <"$T/faults.log") faults)"
