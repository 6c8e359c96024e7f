#!/usr/bin/env bash
# iot-mqtt-bridge forward / receive: records as UDP datagrams, with Python and
# socat as the independent ends.
#  - forward to two targets (a Python receiver and `receive`): every record
#    arrives once, in an envelope with one stream and consecutive seq numbers;
#    a line that is no record and a record too large are named by line number
#    and make the exit status 1;
#  - a Python sender with a gap, a late datagram, a duplicate and junk: receive
#    counts lost/late in its stats, names the junk's sender address;
#  - socat sends plain records (two lines in one datagram): they are records;
#  - receive ends on SIGTERM, --count, --duration, and quietly when its reader goes away.
. "$IOT_SOURCE/tests/lib.sh"
need jq socat
udp_port() {
  /usr/bin/python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
}
P1=$(udp_port)
P2=$(udp_port)

# --- forward to a Python receiver and to `receive` -------------------------
/usr/bin/python3 - "$T/in.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(1, 101):
        if i == 52:
            f.write("this is not a record\n")
        elif i == 77:
            f.write(json.dumps({"kind": "reading", "device": "d", "point": "big", "value": "x" * 2000}) + "\n")
        else:
            f.write(json.dumps({"ts": "2026-12-05T01:00:00.000Z", "kind": "reading", "device": "dev%d" % (i % 3),
                                "point": "p", "value": i + 0.5, "uom": "°C", "quality": "ok"}, ensure_ascii=False) + "\n")
PY
cat >"$T/pyrx.py" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(30)
for _ in range(int(sys.argv[2])):
    data, addr = s.recvfrom(70000)
    print(data.decode("utf-8"), flush=True)
PY
bg pyrx /usr/bin/python3 "$T/pyrx.py" "$P1" 98
bg rx iot-mqtt-bridge receive "udp://127.0.0.1:$P2"
sleep 0.5  # both receivers are bound
status=0
iot-mqtt-bridge forward "udp://127.0.0.1:$P1" "udp://127.0.0.1:$P2" --max-datagram 1000 --rate 1000 \
  <"$T/in.jsonl" >"$T/fwd.out" 2>"$T/fwd.err" || status=$?
assert_eq "$status" 1 "forward exit status with rejected lines"
assert_contains "$(cat "$T/fwd.err")" "line 52: not a JSON object" "forward stderr"
assert_contains "$(cat "$T/fwd.err")" "line 77: record of" "forward stderr"
assert_contains "$(cat "$T/fwd.err")" "does not fit in a datagram of at most 1000 bytes" "forward stderr"
jq_eq "$(cat "$T/fwd.out")" '[.kind,.command,.records,.sent,.targets,.too_big,.bad_lines]' '["stats","forward",99,196,2,1,1]'
stream=$(jq -r .stream "$T/fwd.out")
wait "$pyrx_pid" || fail "the Python receiver did not get 98 datagrams: $(cat "$T/pyrx.err")"
/usr/bin/python3 - "$T/pyrx.out" "$T/in.jsonl" "$stream" <<'PY'
import json, sys
sent = []
for line in open(sys.argv[2], encoding="utf-8"):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("point") != "big":
        sent.append(r)
got = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(got) == len(sent) == 98, (len(got), len(sent))
for n, (g, s) in enumerate(zip(got, sent)):
    env = g.pop("udp")
    assert env == {"stream": sys.argv[3], "seq": n}, env  # the too-big record used no number
    assert list(g) == list(s) and g == s, (g, s)
print("98 datagrams in order, seq 0-97, records intact", file=sys.stderr)
PY
for ((i = 0; i < 200; i++)); do [[ $(wc -l <"$T/rx.out") -ge 98 ]] && break; sleep 0.05; done
kill -TERM "$rx_pid"
status=0
wait "$rx_pid" || status=$?
assert_eq "$status" 0 "receive exit status after SIGTERM"
validate_records "$T/rx.out"
grep -v '"kind":"stats"' "$T/rx.out" >"$T/rx.records"
grep -v -e 'not a record' -e '"big"' "$T/in.jsonl" >"$T/want.records"  # byte for byte
cmp "$T/rx.records" "$T/want.records" || fail "receive wrote other records than were sent"
jq_eq "$(tail -1 "$T/rx.out")" '[.kind,.command,.datagrams,.records,.not_records,.senders,.streams,.lost,.late]' \
  '["stats","receive",98,98,0,1,1,0,0]'

# --keep-envelope: the records keep "udp", which the record schema describes
bg rxk iot-mqtt-bridge receive "udp://127.0.0.1:$P2" --count 1 --keep-envelope --no-stats
sleep 0.3
head -1 "$T/in.jsonl" | iot-mqtt-bridge forward "udp://127.0.0.1:$P2" --stream keep --no-stats
wait "$rxk_pid" || fail "receive --keep-envelope: $(cat "$T/rxk.err")"
validate_records "$T/rxk.out"
jq_eq "$(cat "$T/rxk.out")" '[.udp.stream,.udp.seq,.value]' '["keep",0,1.5]'

# --- a Python sender with a gap, a late and a duplicate datagram, and junk ---
P3=$(udp_port)
bg rx2 iot-mqtt-bridge receive "udp://127.0.0.1:$P2" --count 8
sleep 0.3
sender_port=$(udp_port)
/usr/bin/python3 - "$P2" "$sender_port" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[2])))
to = ("127.0.0.1", int(sys.argv[1]))
def rec(seq):
    return ('{"udp":{"stream":"py","seq":%d},"kind":"reading","device":"py","point":"n","value":%d}' % (seq, seq)).encode()
for seq in (10, 11, 12, 15, 16):   # 13 and 14 are missing
    s.sendto(rec(seq), to)
s.sendto(b"hello, not json", to)
s.sendto(rec(13), to)              # late: no longer lost
s.sendto(rec(13), to)              # a duplicate
s.sendto(b'{"kind":"reading","device":"plain","point":"n","value":1}', to)  # no envelope: still a record
PY
status=0
wait "$rx2_pid" || status=$?
assert_eq "$status" 1 "receive exit status after a datagram that is no record"
jq_eq "$(tail -1 "$T/rx2.out")" '[.datagrams,.records,.not_records,.streams,.lost,.late]' '[9,8,1,1,1,2]'
assert_eq "$(jq -r 'select(.kind=="reading") | .value' "$T/rx2.out" | tr '\n' ' ')" "10 11 12 15 16 13 13 1 " "values received"
assert_contains "$(cat "$T/rx2.err")" "datagram from 127.0.0.1:$sender_port: not a record: hello, not json" "receive stderr"
assert_contains "$(cat "$T/rx2.err")" "127.0.0.1:$sender_port stream py: 2 datagrams lost before seq 15" "receive stderr"
[[ $(grep -c '"udp"' "$T/rx2.out") == 0 ]] || fail "the envelope was not removed"

# --- socat as the sender: two plain records in one datagram ----------------
bg rx3 iot-mqtt-bridge receive "udp://127.0.0.1:$P3" --count 2 --no-stats
sleep 0.3
printf '{"kind":"reading","device":"s","point":"a","value":1}\n{"kind":"reading","device":"s","point":"b","value":2}\n' |
  socat -u STDIN "UDP-SENDTO:127.0.0.1:$P3"
wait "$rx3_pid" || fail "receive --count 2: $(cat "$T/rx3.err")"
assert_eq "$(jq -c '[.point,.value]' "$T/rx3.out" | tr '\n' ' ')" '["a",1] ["b",2] ' "records from socat"

# --- forward to socat as the receiver (one datagram per record) -------------
P4=$(udp_port)
bg socatrx socat -u "UDP-RECV:$P4,bind=127.0.0.1" "OPEN:$T/socat.bin,creat,append"
sleep 0.3
printf '{"kind":"reading","value":1}\n' | iot-mqtt-bridge forward "udp://127.0.0.1:$P4" --no-envelope --no-stats
for ((i = 0; i < 100; i++)); do [[ -s "$T/socat.bin" ]] && break; sleep 0.05; done
assert_eq "$(cat "$T/socat.bin")" '{"kind":"reading","value":1}' "what socat received"

# --- receive --duration ends by itself; its reader going away ends it quietly ---
status=0
timeout 20 iot-mqtt-bridge receive "udp://127.0.0.1:$P3" --duration 500ms >"$T/dur.out" 2>"$T/dur.err" || status=$?
assert_eq "$status" 0 "receive --duration exit status"
jq_eq "$(cat "$T/dur.out")" '[.kind,.records]' '["stats",0]'
( iot-mqtt-bridge receive "udp://127.0.0.1:$P3" 2>"$T/pipe.err"; echo "rc=$?" >"$T/pipe.rc" ) | head -1 >"$T/pipe.out" &
pipe_pid=$!
sleep 0.3
/usr/bin/python3 - "$P3" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):   # head takes the first; a later write finds the pipe closed
    s.sendto(b'{"kind":"reading","value":%d}' % i, ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.05)
PY
wait "$pipe_pid"
for ((i = 0; i < 100; i++)); do [[ -s "$T/pipe.rc" ]] && break; sleep 0.05; done
assert_eq "$(cat "$T/pipe.rc")" "rc=0" "receive exit status when its reader went away"
assert_eq "$(jq -c .value "$T/pipe.out")" 0 "the first record"
[[ ! -s "$T/pipe.err" ]] || fail "receive was not quiet: $(cat "$T/pipe.err")"

# --- forward on SIGTERM with stdin still open: stats and exit 0 -------------
# The signal goes only once the record has arrived at a receiver: a fixed pause
# was too short for a tool under AddressSanitizer on a loaded machine.
P5=$(udp_port)
bg rx5 iot-mqtt-bridge receive "udp://127.0.0.1:$P5" --no-stats
for ((i = 0; i < 200; i++)); do grep -q ":$(printf %04X "$P5") " /proc/net/udp && break; sleep 0.05; done
mkfifo "$T/fwd.fifo"
exec {ffd}<>"$T/fwd.fifo"
iot-mqtt-bridge forward "udp://127.0.0.1:$P5" <&"$ffd" >"$T/fwd2.out" 2>"$T/fwd2.err" &
fwd_pid=$!
_iot_pids+=("$fwd_pid")
printf '{"kind":"reading","value":1}\n' >&"$ffd"
for ((i = 0; i < 400; i++)); do [[ -s "$T/rx5.out" ]] && break; sleep 0.05; done
[[ -s "$T/rx5.out" ]] || fail "forward sent nothing in 20 s"
kill -TERM "$fwd_pid"
status=0
wait "$fwd_pid" || status=$?
assert_eq "$status" 0 "forward exit status after SIGTERM"
jq_eq "$(cat "$T/fwd2.out")" '[.records,.sent]' '[1,1]'
