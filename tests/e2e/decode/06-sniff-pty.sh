# iot-decode sniff on a pseudo-terminal fed like an RS-485 line behind a USB
# adapter (random silences, bursts joining frames, frames split by latency,
# garbage, corrupted frames): every intact frame is recovered with crc_ok true
# and every corrupted frame is flagged with crc_ok false.
# No timing assumption: on a busy machine the feeder's 8 ms pause inside a frame can
# become far longer, so the sniffer keeps a frame open for --latency 10s (a split frame
# is never cut); the test stops the sniffer once it has emitted as many intact frames
# as were sent, not after a fixed sleep.
. "$IOT_SOURCE/tests/lib.sh"
for seed in 1 2; do
  coproc FEED { exec /usr/bin/python3 -u "$IOT_SOURCE/tests/e2e/decode/sniff-feeder.py" "$T/manifest$seed.jsonl" "$seed"; }
  _iot_pids+=("$FEED_PID")
  read -r -u "${FEED[0]}" pty
  [[ -e $pty ]] || fail "feeder gave no pty: $pty"
  bg sniff iot-decode -v sniff "$pty" --baud 9600 --parity E --latency 10s
  wait_for_line "$T/sniff.err" "listening on"
  echo go >&"${FEED[1]}"
  read -r -t 300 -u "${FEED[0]}" done || fail "feeder did not finish"
  intact=$(grep -c '"intact": true' "$T/manifest$seed.jsonl")
  for ((i = 0; i < 1200; i++)); do
    (($(grep -c '"crc_ok":true' "$T/sniff.out" || true) >= intact)) && break
    sleep 0.05
  done
  kill -INT "$sniff_pid"; wait "$sniff_pid" || fail "sniff exited with $?"
  echo bye >&"${FEED[1]}"; wait "$FEED_PID" || true
  validate_records "$T/sniff.out"
  /usr/bin/python3 - "$T/manifest$seed.jsonl" "$T/sniff.out" <<'PY'
import json, sys
sent = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
ok = [r["hex"] for r in got if r.get("crc_ok")]
flagged = [r["hex"] for r in got if r.get("crc_ok") is False]
intact = [s["hex"] for s in sent if s["intact"]]
corrupt = [s["hex"] for s in sent if not s["intact"]]
if ok != intact:
    missing = [h for h in intact if h not in ok]
    extra = [h for h in ok if h not in intact]
    sys.exit(f"intact frames differ: {len(intact)} sent, {len(ok)} recovered; missing {missing[:3]}, extra {extra[:3]}")
for h in corrupt:
    if h not in flagged:
        sys.exit(f"corrupted frame {h} was not flagged; flagged: {flagged}")
print(f"{len(intact)} intact frames recovered, {len(corrupt)} corrupted flagged, {len(flagged) - len(corrupt)} garbage chunks")
PY
  rm -f "$T/sniff.out" "$T/sniff.err"
done
