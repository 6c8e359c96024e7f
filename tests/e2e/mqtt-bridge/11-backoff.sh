#!/usr/bin/env bash
# Backoff on every failure (issue 13). A peer that accepts TCP connections and
# closes them at once (a load balancer with no broker behind it) makes pub and
# sub wait longer and longer between attempts, with a clear line on stderr:
# over 10 s at most 20 attempts each (it was 80,000 before). Two `sub -c -i
# same` fighting over one client id on Mosquitto are reported, and back off too.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
port=$(free_port)
# the peer counts the connections it accepted, one line each
cat >"$T/closer.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
while True:
    c, _ = s.accept()
    print("accepted", flush=True)
    c.close()
PY
bg closer /usr/bin/python3 "$T/closer.py" "$port"
for i in $(seq 50); do
  /usr/bin/python3 -c "import socket,sys;s=socket.socket();sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null && break
  sleep 0.1
done
: >"$T/closer.out"
# pub with input that never ends, sub: both for 10 s
status=0
sleep 30 | timeout 10 iot-mqtt-bridge pub -b "mqtt://127.0.0.1:$port" -q 1 -t x 2>"$T/pub.err" >/dev/null || status=$?
assert_eq "$status" 124 "pub is still trying after 10 s"
pub_attempts=$(wc -l <"$T/closer.out")
((pub_attempts >= 2 && pub_attempts <= 20)) || fail "pub made $pub_attempts connection attempts in 10 s (want 2..20)"
assert_contains "$(cat "$T/pub.err")" "cannot connect to tcp://127.0.0.1:$port: "
(($(wc -l <"$T/pub.err") <= 4)) || fail "stderr is not rate-limited: $(cat "$T/pub.err")"
: >"$T/closer.out"
status=0
timeout 10 iot-mqtt-bridge sub -b "mqtt://127.0.0.1:$port" -t x </dev/null 2>"$T/sub.err" >/dev/null || status=$?
assert_eq "$status" 124 "sub is still trying after 10 s"
sub_attempts=$(wc -l <"$T/closer.out")
((sub_attempts >= 2 && sub_attempts <= 20)) || fail "sub made $sub_attempts connection attempts in 10 s (want 2..20)"
assert_contains "$(cat "$T/sub.err")" "cannot connect to tcp://127.0.0.1:$port: "
echo "accept-and-close: pub $pub_attempts, sub $sub_attempts attempts in 10 s"

# a client-id takeover: two persistent subscribers with one id
start_broker "log_dest file $T/mosq/log" "log_type notice" "connection_messages true"
bg s1 iot-mqtt-bridge sub -b "$BROKER" -i same -c -q 1 -t 'x/#'
bg s2 iot-mqtt-bridge sub -b "$BROKER" -i same -c -q 1 -t 'x/#'
sleep 5
kill -TERM "$s1_pid" "$s2_pid"
wait "$s1_pid" "$s2_pid" || true
connects=$(grep -c 'New client connected.* as same' "$T/mosq/log" || true)
((connects <= 40)) || fail "two subs with one client id made $connects connections in 5 s"
assert_contains "$(cat "$T/s1.err" "$T/s2.err")" "is another client connected with client id 'same'?"
echo "takeover: $connects connections in 5 s"
