#!/usr/bin/env bash
# iot-sim meters on an mqtts:// port: CA, client certificate and key from the
# site file (relative to it); the broker requires the client certificate. The
# meters log in and send data; with no CA for the broker they never connect.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/tls.inc"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
mkdir -p "$T/pki"
cd "$T/pki"
mk_ca ca
mk_cert server ca "IP:127.0.0.1,DNS:localhost"
mk_cert client ca "DNS:client"
cd "$T"
start_broker "cafile $T/pki/ca.crt" "certfile $T/pki/server.crt" "keyfile $T/pki/server.key" "require_certificate true"
URL=mqtts://127.0.0.1:$BROKER_PORT
site() {  # CA-LINE
  cat <<TOML
[[port]]
name = "cloud"
url = "$URL"
$1
cert_file = "pki/client.crt"
key_file = "pki/client.key"
[[port.device]]
name = "m{n}"
count = 2
sn = "26010100000001"
fast = "1s"
[[port.device.point]]
name = "ua"
generator = { kind = "constant", value = 229.9 }
TOML
}
site 'ca_file = "pki/ca.crt"' >"$T/site.toml"
bg plat iot-mqtt-bridge sub -b "$URL" --cafile pki/ca.crt --cert pki/client.crt --key pki/client.key -t '/gw/acrelHW/#' -q 1
sleep 0.8
start_sim sim run -c "$T/site.toml" --no-commands
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/data/26010100000002","payload":\{"type":"data".*"ua":229.9' 20
wait_for_line "$T/plat.out" '"topic":"/gw/acrelHW/ADW300/login/26010100000001"' 5
kill -TERM "$sim_pid"
wait "$sim_pid" || fail "iot-sim failed: $(cat "$T/sim.err")"
jq_eq "$(grep '"kind":"stats"' "$T/sim.out")" '[.meters, .logins]' '[2,2]'

# without the CA the broker's certificate does not verify: no meter connects
site '' >"$T/noca.toml"
start_sim noca run -c "$T/noca.toml" --no-commands --duration 3s
wait "$noca_pid" || fail "iot-sim failed: $(cat "$T/noca.err")"
jq_eq "$(grep '"kind":"stats"' "$T/noca.out")" '[.meters, .meters_connected, .logins]' '[2,0,0]'
# TLS keys on a plain mqtt:// port are a config error (exit 3) with file:line:column
sed "s|^url = .*|url = \"mqtt://127.0.0.1:$BROKER_PORT\"|" "$T/site.toml" >"$T/plain.toml"
status=0
iot-sim run -c "$T/plain.toml" --no-commands >/dev/null 2>"$T/plain.err" || status=$?
assert_eq "$status" 3 "exit status for ca_file on mqtt://"
assert_contains "$(cat "$T/plain.err")" "plain.toml:4:11: port[0].ca_file: 'ca_file' needs a TLS broker url (mqtts://)"
