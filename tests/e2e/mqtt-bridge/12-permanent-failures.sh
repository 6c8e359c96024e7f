#!/usr/bin/env bash
# Permanent failures end at once with the documented status and a message that
# names the cause (issue 13): a broker that requires a client certificate when
# none is given (status 4 within the connect timeout), bad credentials (4),
# a missing --cafile (4, naming the file).
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/tls.inc"
cd "$T"
mk_ca ca
mk_cert server ca "IP:127.0.0.1,DNS:localhost"
start_broker "cafile $T/ca.crt" "certfile $T/server.crt" "keyfile $T/server.key" "require_certificate true"
URL=mqtts://127.0.0.1:$BROKER_PORT
for cmd in pub sub; do
  status=0
  echo '{"d":1}' | timeout 10 iot-mqtt-bridge $cmd -b "$URL" --cafile ca.crt -q 1 -t 'tls/x' >/dev/null 2>"$T/$cmd.err" ||
    status=$?
  assert_eq "$status" 4 "$cmd: exit status without the client certificate the broker requires"
  assert_contains "$(cat "$T/$cmd.err")" "the broker requires a client certificate"
done
# a CA file that is not there
status=0
echo '{"d":1}' | iot-mqtt-bridge pub -b "$URL" --cafile "$T/nope.crt" -t 'x' >/dev/null 2>"$T/nofile.err" || status=$?
assert_eq "$status" 4 "exit status with a missing --cafile"
assert_contains "$(cat "$T/nofile.err")" "cannot read --cafile '$T/nope.crt'"
kill_broker

# bad credentials: Mosquitto with a password file
mosquitto_passwd -b -c "$T/passwd" alice secret 2>/dev/null
start_broker "allow_anonymous false" "password_file $T/passwd"
echo wrong >"$T/pw"
status=0
echo '{"d":1}' | timeout 10 iot-mqtt-bridge pub -b "$BROKER" -u alice --password-file "$T/pw" -t x >/dev/null \
  2>"$T/cred.err" || status=$?
assert_eq "$status" 4 "exit status with a wrong password"
assert_contains "$(cat "$T/cred.err")" "connection refused: "
