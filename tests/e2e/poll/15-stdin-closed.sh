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
url=$(jq -r 'select(.kind=="ready") | .endpoints[0].url' "$T/sim.out")
mkdir -p "$T/plant"
cat >"$T/plant/site.toml" <<TOML
[[port]]
name = "gw"
url = "$url"
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

# --count 3 with stdin closed: three cycles of both devices (one 8-register read each),
# counted by the port's stats record; the first cycle's readings are all there (the
# model's storage_period holds back the later ones).
(cd / && timeout 120 iot-poll run -c "$T/plant/site.toml" --count 3 --format jsonl </dev/null >"$T/count.jsonl" 2>"$T/count.err") ||
  fail "iot-poll --count 3 </dev/null: exit $?: $(cat "$T/count.err")"
jq_eq "$(jq -c 'select(.kind=="stats")' "$T/count.jsonl")" '[.requests, .answers]' '[6,6]'
readings=$(jq -c 'select(.kind=="reading" and .quality=="ok")' "$T/count.jsonl" | wc -l)
assert_eq "$readings" 16 "readings of the first cycle (2 devices x 8 channels)"

# --duration 5s with stdin closed: polls until the duration is over, not until EOF.
t0=$(date +%s.%N)
(cd / && timeout 120 iot-poll run -c "$T/plant/site.toml" --duration 5s --format jsonl </dev/null >"$T/dur.jsonl" 2>"$T/dur.err") ||
  fail "iot-poll --duration 5s </dev/null: exit $?: $(cat "$T/dur.err")"
t1=$(date +%s.%N)
# It cannot have polled for 5 s if it ended sooner (a lower bound the option itself sets).
[[ $(echo "$t1 - $t0 >= 5" | bc) == 1 ]] || fail "--duration 5s with stdin closed ended after $(echo "$t1 - $t0" | bc) s"
answers=$(jq -r 'select(.kind=="stats") | .answers' "$T/dur.jsonl")
((answers >= 2)) || fail "--duration 5s with stdin closed: $answers answers"
span="$(echo "$t1 - $t0" | bc) s, $answers answers"

# --exit-on-eof: end of stdin ends the run, cleanly.
(cd / && timeout 60 iot-poll run -c "$T/plant/site.toml" --exit-on-eof --format jsonl </dev/null >"$T/eof.jsonl" 2>"$T/eof.err") ||
  fail "iot-poll --exit-on-eof </dev/null: exit $?: $(cat "$T/eof.err")"
jq -e 'select(.kind=="stats")' "$T/eof.jsonl" >/dev/null || fail "no stats record after --exit-on-eof"
echo "count 3: 6 requests; duration 5s: $span; --exit-on-eof ends at EOF"
