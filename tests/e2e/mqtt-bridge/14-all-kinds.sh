#!/usr/bin/env bash
# Records of every kind can be published (issue 13): `iot-poll run | pub -t
# 'site/{device}/{point}'` sends readings, status and stats with status 0; a
# record lacking a template field puts its kind there (site/meter2/status,
# site/stats); --topic-for gives a kind its own template; '/', '+', '#' in a
# field are escaped so one field stays one topic level; -q and -r win over an
# mqtt record's own qos and retain unless --qos-from-record.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
set -o pipefail
start_broker
simport=$(free_port)
cat >"$T/site.toml" <<TOML
[site]
name = "kinds"
[defaults]
interval = "200ms"
timeout = "200ms"
retries = 0
offline_after = 1
[[port]]
name = "tcp"
url = "tcp://127.0.0.1:$simport"
[[port.device]]
name = "meter1"
unit = 1
[[port.device.point]]
name = "ua"
addr = "hr:0"
generator = { kind = "constant", value = 230 }
[[port.device]]
name = "meter2"
unit = 2
fault = { kind = "timeout" }
[[port.device.point]]
name = "ua"
addr = "hr:0"
generator = { kind = "constant", value = 231 }
TOML
start_sim sim "$T/site.toml"
bg sub mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t 'site/#' -t 'k/#' -v
sleep 0.5
open_input poll
status=0
iot-poll run -c "$T/site.toml" --duration 2s <"$T/poll.in" 2>"$T/poll.err" |
  iot-mqtt-bridge pub -b "$BROKER" -q 1 -t 'site/{device}/{point}' >"$T/pub.stats" 2>"$T/pub.err" || status=$?
assert_eq "$status" 0 "exit status of iot-poll run | pub ($(cat "$T/pub.err"))"
jq_eq "$(cat "$T/pub.stats")" '[.skipped,.dropped]' '[0,0]'
wait_for_line "$T/sub.out" '^site/stats \{' 10
grep -q '^site/meter1/ua {"ts"' "$T/sub.out" || fail "no reading on site/meter1/ua: $(head -3 "$T/sub.out")"
grep -q '^site/meter2/status {.*"state":"offline"' "$T/sub.out" || fail "no status on site/meter2/status"

# --topic-for, escaping, and the command line over the record
{
  echo '{"kind":"status","device":"m1","state":"online"}'
  echo '{"kind":"reading","device":"a/b+c#d","point":"p","value":1}'
  echo '{"kind":"reading","device":"m1","value":1}'
  echo '{"kind":"mqtt","topic":"k/explicit","payload":"e","qos":0,"retain":false}'
} | iot-mqtt-bridge pub -b "$BROKER" -q 1 -r -t 'site/{device}/{point}' --topic-for 'status=k/{device}/state' \
  >"$T/pub2.stats" 2>"$T/pub2.err" && fail "a reading without its point must be refused (status 1)" || status=$?
assert_eq "$status" 1 "exit status with one reading refused"
assert_contains "$(cat "$T/pub2.err")" "line 3: field 'point' of the topic template is missing"
wait_for_line "$T/sub.out" '^k/explicit e$' 10
grep -q '^k/m1/state {"kind":"status"' "$T/sub.out" || fail "--topic-for status: $(cat "$T/sub.out" | tail -3)"
grep -q '^site/a%2Fb%2Bc%23d/p ' "$T/sub.out" || fail "field not escaped: $(grep 'site/a' "$T/sub.out")"
# -q 1 -r won over the record's qos 0 and retain false: a new subscriber gets it retained, at QoS 1
got=$(mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t k/explicit -C 1 -W 5 -F '%q %r %p')
assert_eq "$got" "1 1 e" "qos, retain and payload of k/explicit"
# --qos-from-record: the record's fields win
echo '{"kind":"mqtt","topic":"k/explicit","payload":"f","qos":0,"retain":false}' |
  iot-mqtt-bridge pub -b "$BROKER" -q 1 -r --qos-from-record >/dev/null
got=$(mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t k/explicit -C 1 -W 2 -F '%p' || true)
assert_eq "$got" "e" "a non-retained f leaves the retained e in place"
