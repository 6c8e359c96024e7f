#!/usr/bin/env bash
# examples/mqtt-site-to-broker.sh (set -o pipefail) against iot-sim serving
# examples/energy-site.toml: readings, status and stats reach the broker, and
# when the pipeline is stopped with SIGTERM it exits 0 (issue 13: pub exited 1
# on every status and stats record).
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
export IOT_MODELS=$IOT_SOURCE/examples/models
start_broker
# the example site on ports the kernel picks, then polled where the simulator listens
sed -E 's#(url = "[a-z+]+://127\.0\.0\.1:)[0-9]+#\10#' "$IOT_SOURCE/examples/energy-site.toml" >"$T/sim-site.toml"
start_sim sim "$T/sim-site.toml" --site-out "$T/site.toml"
bg sub mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t 'site/#' -v
sleep 0.5
open_input poll
SPOOL=$T/spool setsid "$IOT_SOURCE/examples/mqtt-site-to-broker.sh" "$BROKER" "$T/site.toml" \
  <"$T/poll.in" >"$T/example.out" 2>"$T/example.err" &
ex_pid=$!
_iot_pids+=("$ex_pid")
wait_for_line "$T/sub.out" '^site/[a-z0-9-]+/ua \{' 20
wait_for_line "$T/sub.out" '^site/[a-z0-9-]+/status \{' 20
# stop the pipeline as systemd would: SIGTERM to every process of it
kill -TERM -- "-$ex_pid"
status=0
wait "$ex_pid" || status=$?
assert_eq "$status" 0 "exit status of the example after SIGTERM ($(tail -3 "$T/example.err"))"
jq_eq "$(cat "$T/example.out")" '[.kind, .skipped, .dropped, (.acknowledged > 0)]' '["stats",0,0,true]'
