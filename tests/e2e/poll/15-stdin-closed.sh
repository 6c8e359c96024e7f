#!/usr/bin/env bash
# Unattended runs, as systemd, cron and CI start them: stdin is /dev/null. End of stdin
# ends the stdin commands, never the polling: --count 3 polls three cycles and --duration
# polls for the whole duration; --exit-on-eof asks for the stop at end of stdin. The site
# file lives in a scratch directory and the poller runs from /, so the model catalog is
# found by the search order, not by the working directory.
. "$IOT_SOURCE/tests/lib.sh"
need jq
bg sim iot-sim tcp://127.0.0.1:0 --units 1-2 --model FC1003-8 --no-commands
wait_for_line "$T/sim.out" '"kind":"ready"' 15
port=$(jq -r 'select(.kind=="ready") | .endpoints[0].port' "$T/sim.out")
mkdir -p "$T/plant"
cat >"$T/plant/site.toml" <<TOML
[[port]]
name = "gw"
url = "tcp://127.0.0.1:$port"
interval = "250ms"
[[port.device]]
name = "a"
unit = 1
model = "FC1003-8"
[[port.device]]
name = "b"
unit = 2
model = "FC1003-8"
TOML

# --count 3 with stdin closed: three full cycles (2 devices x 8 channels each), then stats.
(cd / && timeout 120 iot-poll run -c "$T/plant/site.toml" --count 3 --format jsonl </dev/null >"$T/count.jsonl" 2>"$T/count.err") ||
  fail "iot-poll --count 3 </dev/null: exit $?: $(cat "$T/count.err")"
readings=$(jq -c 'select(.kind=="reading")' "$T/count.jsonl" | wc -l)
assert_eq "$readings" 48 "readings of 3 cycles with stdin closed"
for ch in 1 8; do
  assert_eq "$(jq -c "select(.kind==\"reading\" and .device==\"b\" and .point==\"ch$ch\")" "$T/count.jsonl" | wc -l)" 3 "b.ch$ch readings"
done
jq -e 'select(.kind=="stats")' "$T/count.jsonl" >/dev/null || fail "no stats record after --count 3"

# --duration 5s with stdin closed: polls until the duration is over, not until EOF.
(cd / && timeout 120 iot-poll run -c "$T/plant/site.toml" --duration 5s --format jsonl </dev/null >"$T/dur.jsonl" 2>"$T/dur.err") ||
  fail "iot-poll --duration 5s </dev/null: exit $?: $(cat "$T/dur.err")"
# The readings' own timestamps span the run (first to last cycle), whatever the machine's load.
span=$(jq -rs '[.[] | select(.kind=="reading") | .ts | sub("\\.[0-9]+Z$"; "Z") | fromdate] | (max - min)' "$T/dur.jsonl")
((span >= 4)) || fail "--duration 5s with stdin closed polled for ${span}s only ($(grep -c reading "$T/dur.jsonl") readings)"

# --exit-on-eof: end of stdin ends the run, cleanly.
(cd / && timeout 60 iot-poll run -c "$T/plant/site.toml" --exit-on-eof --format jsonl </dev/null >"$T/eof.jsonl" 2>"$T/eof.err") ||
  fail "iot-poll --exit-on-eof </dev/null: exit $?: $(cat "$T/eof.err")"
jq -e 'select(.kind=="stats")' "$T/eof.jsonl" >/dev/null || fail "no stats record after --exit-on-eof"
echo "count: $readings readings; duration: readings over ${span}s; --exit-on-eof ends at EOF"
