#!/usr/bin/env bash
# One iot-sim process simulates 1,000 Acrel meters (one [[port.device]] with
# count = 1000), each with its own MQTT connection: all 1,000 SNs log in and
# send data, and SIGTERM disconnects them all.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
ulimit -n "$(ulimit -Hn)"  # the broker needs a descriptor per meter too
[[ $(ulimit -n) -ge 2100 ]] || fail "the descriptor limit ($(ulimit -n)) is too low for 1,000 connections"
start_broker
cat >"$T/site.toml" <<TOML
[[port]]
name = "cloud"
url = "$BROKER"
[[port.device]]
name = "meter{n:04}"
count = 1000
sn = "26010100010000"
fast = "5s"
[[port.device.point]]
name = "ua"
generator = { kind = "walk", min = 225, max = 235, step = 0.2, value = 230 }
[[port.device.point]]
name = "wh"
generator = { kind = "ramp", from = 0, to = 100, period = "1h" }
TOML
bg logins iot-mqtt-bridge sub -b "$BROKER" -t '/gw/acrelHW/ADW300/login/+' -t '/gw/acrelHW/ADW300/data/+' -q 1
sleep 0.5
start_sim sim -v run -c "$T/site.toml" --no-commands
jq_eq "$(head -1 "$T/sim.out")" '.devices' 1000
wait_count_long() {
  local i
  for ((i = 0; i < 1200; i++)); do
    [[ $(jq -r "$2" "$1" 2>/dev/null | sort -u | wc -l) -ge $3 ]] && return 0
    sleep 0.1
  done
  fail "fewer than $3 distinct values of $2 in $1"
}
wait_count_long "$T/logins.out" 'select(.topic | contains("/login/")) | .payload.gwSN' 1000
wait_count_long "$T/logins.out" 'select(.topic | contains("/data/")) | .payload.meterSN' 1000
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$sim_pid/status")
cpu=$(awk '{print $14 + $15}' "/proc/$sim_pid/stat")
echo "1,000 meters: RSS $rss_kb kB, CPU $cpu ticks so far; $(grep -o 'all 1000 meters connected after [0-9]* ms' "$T/sim.err" || true)" >&2
# every SN from the first to the last, once each
jq -r 'select(.topic | contains("/login/")) | .payload.gwSN' "$T/logins.out" | sort -u >"$T/sns"
seq 26010100010000 26010100010999 >"$T/want"
diff -q "$T/sns" "$T/want" >/dev/null || fail "login SNs differ: $(diff "$T/sns" "$T/want" | head -3)"
kill -TERM "$sim_pid"
status=0
wait "$sim_pid" || status=$?
assert_eq "$status" 0 "iot-sim exit status after SIGTERM"
jq_eq "$(grep '"kind":"stats"' "$T/sim.out")" '[.meters, .logins >= 1000]' '[1000,true]'
