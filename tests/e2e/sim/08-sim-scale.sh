#!/usr/bin/env bash
# ctest-labels: no-sanitizer
# One process serves 10,000 devices (41 TCP ports of 244 FC1003-8 controllers)
# and 1,000 simultaneous TCP connections, each answered with its own unit's
# registers.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/sim/simlib.bash"
need jq
export IOT_MODELS="$IOT_SOURCE/examples/models"

{
  printf '[site]\nname = "big"\n'
  for p in $(seq 1 41); do
    printf '[[port]]\nname = "p%d"\nurl = "tcp://127.0.0.1:0"\n' "$p"
    for u in $(seq 1 244); do
      printf '[[port.device]]\nname = "p%d-u%d"\nunit = %d\nmodel = "FC1003-8"\n' "$p" "$u" "$u"
      printf '[[port.device.point]]\nname = "ch1"\ngenerator = { kind = "constant", value = %d.%d }\n' "$u" "$((p % 10))"
    done
  done
} >"$T/big.toml"

start_sim sim run -c "$T/big.toml"
jq_eq "$(head -1 "$T/sim.out")" '.devices' 10004
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$sim_pid/status")
echo "RSS with 10,004 devices: $rss_kb kB" >&2

port7=$(port_of "$(endpoint sim p7)")
/usr/bin/python3 - "$port7" <<'PY'
import resource, selectors, socket, struct, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port = int(sys.argv[1])
sel = selectors.DefaultSelector()
socks = []
for i in range(1000):
    s = socket.create_connection(("127.0.0.1", port))
    socks.append(s)
for i, s in enumerate(socks):
    unit = 1 + i % 244
    s.send(struct.pack(">HHHBBHH", i, 0, 6, unit, 3, 0, 1))
    sel.register(s, selectors.EVENT_READ, (i, unit))
got = {}
while len(got) < 1000:
    events = sel.select(timeout=10)
    if not events:
        sys.exit(f"only {len(got)} answers of 1000")
    for key, _ in events:
        i, unit = key.data
        data = key.fileobj.recv(64)
        tid, _, _, u, fc, n, value = struct.unpack(">HHHBBBH", data)
        assert (tid, u, fc, n) == (i, unit, 3, 2), data
        # ch1 = unit + 7 % 10 / 10 with one decimal: raw = unit * 10 + 7
        assert value == unit * 10 + 7, (unit, value)
        got[i] = value
        sel.unregister(key.fileobj)
print("1000 connections answered")
PY
[[ $(awk '/VmRSS/ {print $2}' "/proc/$sim_pid/status") -lt $((rss_kb + 64 * 1024)) ]] || fail "memory grew with connections"
