#!/usr/bin/env bash
# Failover between brokers (issue 10): a real 3-node NATS cluster with MQTT and
# JetStream on loopback (nats-server, installed by scripts/setup). pub and sub
# both start on node 1 with the other nodes as further --broker URLs; node 1
# is SIGKILLed mid-stream. Both fail over, and every QoS 1 message reaches the
# kept session of sub (duplicates are allowed and reported: at least once).
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/mqtt-bridge/broker.inc"
[[ -x /usr/sbin/nats-server ]] || fail "nats-server is not installed (scripts/setup installs it)"
N=600
declare -a client route mqtt http pid
for i in 1 2 3; do
  client[$i]=$(free_port); route[$i]=$(free_port); mqtt[$i]=$(free_port); http[$i]=$(free_port)
done
for i in 1 2 3; do
  mkdir -p "$T/nats/n$i"
  cat >"$T/nats/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:${client[$i]}
http: 127.0.0.1:${http[$i]}
jetstream {
  store_dir: $T/nats/n$i
  max_memory_store: 64MB
  max_file_store: 256MB
}
cluster {
  name: iottest
  listen: 127.0.0.1:${route[$i]}
  routes: [
    nats-route://127.0.0.1:${route[1]}
    nats-route://127.0.0.1:${route[2]}
    nats-route://127.0.0.1:${route[3]}
  ]
}
mqtt {
  listen: 127.0.0.1:${mqtt[$i]}
}
CONF
  bg "n$i" /usr/sbin/nats-server -c "$T/nats/n$i.conf"
  pid[$i]=$(eval echo "\$n${i}_pid")
done
healthy() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, urllib.request
for port in sys.argv[1:]:
    try:
        if b'"ok"' not in urllib.request.urlopen("http://127.0.0.1:%s/healthz" % port, timeout=1).read():
            sys.exit(1)
    except Exception:
        sys.exit(1)
PY
}
for t in $(seq 300); do healthy "${http[1]}" "${http[2]}" "${http[3]}" && break; sleep 0.1; done
healthy "${http[1]}" "${http[2]}" "${http[3]}" || fail "the NATS cluster did not become healthy: $(tail -3 "$T/n1.err")"
# warm up: the first MQTT connect creates the replicated MQTT streams
for t in $(seq 100); do
  mosquitto_pub -h 127.0.0.1 -p "${mqtt[1]}" -q 1 -t warm/up -m 1 2>/dev/null && break
  sleep 0.2
done
b() { echo "-b mqtt://127.0.0.1:${mqtt[$1]}"; }
# shellcheck disable=SC2046
bg sub iot-mqtt-bridge sub $(b 1) $(b 2) $(b 3) -i fo-sub -c -q 1 -t 'fo/#' --reconnect-max 2s
sleep 1.5
# a steady stream: N records at about 100 a second
seq 0 $((N - 1)) | sed 's/.*/{"n":&}/' >"$T/stream.jsonl"
/usr/bin/python3 -c "
import sys, time
for line in open('$T/stream.jsonl'):
    sys.stdout.write(line); sys.stdout.flush(); time.sleep(0.01)
" | iot-mqtt-bridge pub $(b 1) $(b 2) $(b 3) -q 1 -t 'fo/{n}' --reconnect-max 2s >"$T/pub.out" 2>"$T/pub.err" &
pub_pid=$!; _iot_pids+=("$pub_pid")
sleep 2
kill -KILL "${pid[1]}"
status=0
for t in $(seq 900); do kill -0 "$pub_pid" 2>/dev/null || break; sleep 0.1; done
wait "$pub_pid" || status=$?
assert_eq "$status" 0 "pub exit status after failover ($(tail -3 "$T/pub.err"))"
for t in $(seq 300); do
  got=$(jq -r 'select(.kind=="mqtt")|.payload.n' "$T/sub.out" 2>/dev/null | sort -un | wc -l)
  ((got >= N)) && break
  sleep 0.1
done
total=$(grep -c '"kind":"mqtt"' "$T/sub.out" || true)
echo "failover: $got of $N distinct messages, $((total - got)) duplicates; pub: $(cat "$T/pub.out")"
assert_eq "$got" "$N" "distinct messages received after the failover"
assert_contains "$(cat "$T/pub.err" "$T/sub.err")" "cannot connect to tcp://127.0.0.1:${mqtt[1]}"
jq_eq "$(cat "$T/pub.out")" '[.dropped, (.connects >= 2)]' '[0,true]'
kill -TERM "$sub_pid" "${pid[2]}" "${pid[3]}"
wait "$sub_pid" "${pid[2]}" "${pid[3]}" 2>/dev/null || true
rm -rf "$T/nats"
