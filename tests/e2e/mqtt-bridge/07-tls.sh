#!/usr/bin/env bash
# TLS: a CA, server and client certificates made with openssl at test time;
# the broker requires a client certificate. pub and sub work with the right CA;
# with a wrong CA the connection is refused (verification is on by default)
# and the tool exits 4 with a certificate error.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/tls.inc"
cd "$T"
mk_ca ca
mk_ca wrongca
mk_cert server ca "IP:127.0.0.1,DNS:localhost"
mk_cert client ca "DNS:client"
start_broker "cafile $T/ca.crt" "certfile $T/server.crt" "keyfile $T/server.key" "require_certificate true"
URL=mqtts://127.0.0.1:$BROKER_PORT
bg sub iot-mqtt-bridge sub -b "$URL" --cafile ca.crt --cert client.crt --key client.key -t 'tls/#' -q 1
sleep 0.8
echo '{"device":"d1","v":1}' | iot-mqtt-bridge pub -b "$URL" --cafile ca.crt --cert client.crt --key client.key \
  -q 1 -t 'tls/{device}' >"$T/pub.stats"
jq_eq "$(cat "$T/pub.stats")" '.acknowledged' '1'
wait_lines "$T/sub.out" 1 10
jq_eq "$(cat "$T/sub.out")" '[.topic,.payload.v]' '["tls/d1",1]'
# wrong CA: refused, not retried forever
status=0
echo '{"device":"d1"}' | timeout 20 iot-mqtt-bridge pub -b "$URL" --cafile wrongca.crt --cert client.crt --key client.key \
  -q 1 -t 'tls/{device}' >/dev/null 2>"$T/wrong.err" || status=$?
assert_eq "$status" 4 "exit status with a wrong CA"
assert_contains "$(cat "$T/wrong.err")" "certificate verify failed"
# plain mqtt:// to a TLS listener never connects; TLS options on mqtt:// are a usage error
assert_status 2 iot-mqtt-bridge pub -b "mqtt://127.0.0.1:$BROKER_PORT" --cafile ca.crt -t x </dev/null
