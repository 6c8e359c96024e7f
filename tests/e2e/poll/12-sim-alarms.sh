#!/usr/bin/env bash
# Alarms, table-driven: iot-sim generators ramp (and step, and fluctuate) through
# the limits; iot-poll must write exactly the expected alarm records for HH, LL and
# HL (and the seed's WINDOW type) with deadband and delay, and nothing for a value fluctuating around a limit
# faster than the delay. Limits sit far from the run's start and end so timing
# jitter cannot change the outcome.
# ctest-labels: no-sanitizer
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq
port=$(free_port)
# point | generator | alarm rule | expected alarm records (state level limit;...)
table=(
  'hh|{ kind = "ramp", from = 0, to = 100, period = "6s" }|{ type = "HH", high = 25, high_high = 50, deadband = 2, delay = "500ms" }|raised H 25;level HH 50;cleared - 50'
  'll|{ kind = "ramp", from = 100, to = 0, period = "6s" }|{ type = "LL", low = 40, low_low = 20, deadband = 2, delay = "500ms" }|raised L 40;level LL 20;cleared - 20'
  'hl|{ kind = "ramp", from = 0, to = 100, period = "8s" }|{ type = "HL", low = 20, high = 60, deadband = 2, delay = "500ms" }|raised L 20;cleared - 20;raised H 60'
  'band|{ kind = "step", schedule = [["0s", 0], ["1s", 30], ["2.5s", 24], ["3.5s", 23], ["4.5s", 22.5]] }|{ type = "HH", high = 25, deadband = 2, delay = "300ms" }|raised H 25;cleared - 25'
  'noise|{ kind = "sine", min = 20, max = 30, period = "1s" }|{ type = "HH", high = 25, deadband = 1, delay = "1s" }|'
  'win|{ kind = "ramp", from = 0, to = 100, period = "8s" }|{ type = "WINDOW", min = 30, max = 60, deadband = 2, delay = "500ms" }|raised L 30;level H 30;cleared - 60'
)
{
  printf '[site]\nname = "alarms"\n[[port]]\nname = "gw"\nurl = "tcp://127.0.0.1:%s"\ninterval = "100ms"\ntimeout = "300ms"\n' "$port"
  printf '[[port.device]]\nname = "det"\nunit = 1\n'
  i=0
  for row in "${table[@]}"; do
    IFS='|' read -r name gen rule _ <<<"$row"
    printf '[[port.device.point]]\nname = "%s"\naddr = "hr:%s"\ntype = "f32"\ngenerator = %s\nalarm = %s\n' "$name" "$i" "$gen" "$rule"
    i=$((i + 2))
  done
} >"$T/site.toml"
start_sim sim "$T/site.toml"
open_input poll
iot-poll run -c "$T/site.toml" --duration 7s --format jsonl --on-alarm "cat >>'$T/forwarded.jsonl'" \
  <"$T/poll.in" >"$T/poll.jsonl" 2>"$T/poll.err" || fail "iot-poll: $(cat "$T/poll.err")"
validate_records "$T/poll.jsonl"
for row in "${table[@]}"; do
  IFS='|' read -r name _ _ want <<<"$row"
  got=$(jq -r --arg p "$name" 'select(.kind=="alarm" and .point==$p) | "\(.state) \(.level // "-") \(.limit)"' "$T/poll.jsonl" | paste -sd';' -)
  assert_eq "$got" "$want" "alarms of $name"
done
# Readings carry the alarm level while in alarm.
has_record "$T/poll.jsonl" 'select(.kind=="reading" and .point=="hh" and .alarm=="HH")' || fail "no reading with alarm HH"
# --on-alarm got every alarm record, in order.
assert_eq "$(jq -c 'del(.ts)' "$T/forwarded.jsonl")" "$(jq -c 'select(.kind=="alarm") | del(.ts)' "$T/poll.jsonl")" "forwarded alarms"
