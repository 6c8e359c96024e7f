#!/usr/bin/env bash
# iot-sim's mqtt meters driven by stdin commands, against a real Mosquitto:
# `set` changes what a meter publishes at once (acked with the value), an alarm
# word set non-zero sends an Acrel `alarm` message, `fault` makes a meter
# silent (timeout), go offline (drop) or report meterStatus "missing"
# (exception), `clear` brings it back; a kind that makes no sense for a meter
# is refused in the ack. 5 s after its login is answered a meter sends `time`.
# One meter sends the point-id list format (site file `format`), carrying the
# ADW300's whole data set.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
export IOT_MODELS="$IOT_SOURCE/examples/models"
start_broker
cat >"$T/site.toml" <<TOML
[[port]]
name = "cloud"
url = "$BROKER"
heart = "1s"
[[port.device]]
name = "ma"
sn = "26010100000201"
model = "ADW300"
fast = "1s"
format = "point-id"
[[port.device.point]]
name = "thd_ua"
generator = { kind = "constant", value = 3.25 }
[[port.device]]
name = "mb"
sn = "26010100000202"
fast = "500ms"
[[port.device.point]]
name = "ua"
generator = { kind = "constant", value = 230 }
[[port.device.point]]
name = "alarm1_status"
generator = { kind = "constant", value = 0 }
[[port.device.point]]
name = "di2"
TOML
bg plat iot-mqtt-bridge sub -b "$BROKER" -t '/gw/acrelHW/#' -q 1 --answer acrel
bg srv mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" -t '/server/#' -v  # the platform's replies
sleep 0.5
start_sim sim run -c "$T/site.toml"
MB=/gw/acrelHW/ADW300/data/26010100000202
wait_for_line "$T/plat.out" "\"topic\":\"$MB\",\"payload\":\\{\"type\":\"data\".*\"ua\":230," 15
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/data/26010100000201","payload":\{"data":\[\{"tp":' 15

# set: acked with the new value, published at once
sim_cmd sim '{"cmd":"set","device":"mb","point":"ua","value":199.5,"id":"s1"}'
wait_for_line "$T/sim.out" '"kind":"ack"' 5
jq_eq "$(grep '"kind":"ack"' "$T/sim.out" | tail -1)" '[.ok,.command,.id,.device,.point,.value]' '[true,"set","s1","mb","ua",199.5]'
wait_for_line "$T/plat.out" "\"topic\":\"$MB\",\"payload\":\\{\"type\":\"data\".*\"ua\":199.5," 5
sim_cmd sim '{"cmd":"set","device":"mb","point":"di2","value":true}'
wait_for_line "$T/plat.out" "\"topic\":\"$MB\",.*\"di\":2[,}]" 5
sim_cmd sim '{"cmd":"get","device":"26010100000202","point":"ua","id":"g1"}'   # by SN as well as by name
wait_for_line "$T/sim.out" '"id":"g1"' 5
jq_eq "$(grep '"id":"g1"' "$T/sim.out")" '[.ok,.value]' '[true,199.5]'
sim_cmd sim '{"cmd":"set","device":"mb","point":"nope","value":1,"id":"bad"}'
wait_for_line "$T/sim.out" '"id":"bad"' 5
jq_eq "$(grep '"id":"bad"' "$T/sim.out")" '[.ok,.error]' '[false,"meter mb has no point \"nope\""]'

# an alarm word changes: an alarm message, answered by the platform
sim_cmd sim '{"cmd":"set","device":"mb","point":"alarm1_status","value":5}'
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/alarm/26010100000202","payload":\{"type":"alarm",.*"alarm1":5\}' 5
wait_for_line "$T/srv.out" '^/server/acrelHW/ADW300/alarm/26010100000202 \{"type":"alarm","res":1\}$' 5

# time: 5 s after the login reply, answered with the server's clock
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/time/26010100000202","payload":\{"country":"China","utc":"0","time":"[0-9]{14}","gwSN":"26010100000202","type":"time"\}' 15
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/time/26010100000201"' 15

# fault timeout: the meter is silent; clear: it talks again
sim_cmd sim '{"cmd":"fault","device":"mb","kind":"timeout","id":"f1"}'
wait_for_line "$T/sim.out" '"id":"f1"' 5
jq_eq "$(grep '"id":"f1"' "$T/sim.out")" '[.ok,.devices]' '[true,1]'
sleep 0.5 # a message already on its way
before=$(grep -c "\"topic\":\"$MB\"" "$T/plat.out")
sleep 2   # four data periods
assert_eq "$(grep -c "\"topic\":\"$MB\"" "$T/plat.out")" "$before" "data from a silent meter"
sim_cmd sim '{"cmd":"clear","device":"mb"}'
wait_count "$T/plat.out" "\"topic\":\"$MB\"" $((before + 2))

# fault drop: offline (disconnected); clear: it connects and logs in again
logins=$(grep -c '"topic":"/gw/acrelHW/ADW300/login/26010100000202"' "$T/plat.out")
sim_cmd sim '{"cmd":"fault","device":"mb","kind":"drop","id":"f2"}'
wait_for_line "$T/sim.out" '"id":"f2"' 5
sleep 0.5
before=$(grep -c "\"topic\":\"$MB\"" "$T/plat.out")
sleep 1.5
assert_eq "$(grep -c "\"topic\":\"$MB\"" "$T/plat.out")" "$before" "data from an offline meter"
sim_cmd sim '{"cmd":"clear"}'
wait_count "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/login/26010100000202"' $((logins + 1))

# fault exception: data says the reading failed
sim_cmd sim '{"cmd":"fault","port":"cloud","kind":"exception","id":"f3"}'
wait_for_line "$T/sim.out" '"id":"f3"' 5
jq_eq "$(grep '"id":"f3"' "$T/sim.out")" '[.ok,.devices]' '[true,2]'
wait_for_line "$T/plat.out" "\"topic\":\"$MB\",\"payload\":\\{\"type\":\"data\".*\"meterStatus\":\"missing\"" 5
sim_cmd sim '{"cmd":"fault","device":"mb","kind":"garbage","id":"f4"}'
wait_for_line "$T/sim.out" '"id":"f4"' 5
jq_eq "$(grep '"id":"f4"' "$T/sim.out")" '.ok' 'false'
assert_contains "$(grep '"id":"f4"' "$T/sim.out")" 'does not apply to an mqtt meter' "ack error"
sim_cmd sim '{"cmd":"clear","port":"cloud"}'

kill -TERM "$sim_pid"
status=0
wait "$sim_pid" || status=$?
assert_eq "$status" 0 "iot-sim exit status after SIGTERM"
validate_records "$T/sim.out"
jq_eq "$(grep '"kind":"stats"' "$T/sim.out")" '[.meters, .times >= 2, .alarms]' '[2,true,1]'
kill -TERM "$plat_pid"
wait "$plat_pid" || true

# the point-id meter sends the ADW300's data set (its model's points), the ICCID once
grep '"topic":"/gw/acrelHW/ADW300/data/26010100000201"' "$T/plat.out" >"$T/ma.jsonl"
iot-decode acrel <"$T/ma.jsonl" >"$T/ma.out"
validate_records "$T/ma.out"
assert_eq "$(jq -r 'select(.point=="thdua") | "\(.value) \(.uom)"' "$T/ma.out" | sort -u)" "3.25 %" "THD Ua of the point-id meter"
assert_eq "$(grep -c '"point":"iccid"' "$T/ma.out")" 1 "ICCID sent once"
points=$(jq -r .point "$T/ma.out" | sort -u | tr '\n' ' ')
for p in ua uab ia p q s pf hz rssi wh wl varh varl demand_p pt ct ta tb tc tn di1 di2 di3 di4 wh_a varl_c \
  thdua thdic demand_p_rev demand_q demand_q_rev uunb iunb wh_sharp wh_peak wh_flat wh_valley varh_q1 varh_q4; do
  [[ " $points" == *" $p "* ]] || fail "point-id meter did not send $p: $points"
done
