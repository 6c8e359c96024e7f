#!/usr/bin/env bash
# A polling pipeline on the bundled gas site, without hardware:
#   iot-sim serves examples/gas-site.toml (its RS-485 buses on ptys),
#   iot-poll polls it, alarms go to a log file through --on-alarm (batched per
#   minute here; the seed platform forwards per 6 hours by SMS and e-mail),
#   and jq keeps one CSV line per reading.
# Stop with Ctrl-C. Needs the built tools on PATH (or IOT_BIN) and jq.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${IOT_BIN:-$here/../build/bin}
work=$(mktemp -d)
trap 'kill $sim 2>/dev/null || true; rm -rf "$work"' EXIT

# 1. The simulator: it writes the site file with the endpoints it really serves (the pty of
#    each bus, the free TCP port) to site.toml, then its ready record.
"$bin/iot-sim" run -c "$here/gas-site.toml" --free-ports --no-commands --site-out "$work/site.toml" >"$work/sim.out" &
sim=$!
until grep -q '"kind":"ready"' "$work/sim.out"; do sleep 0.1; done

# 2. Poll; alarms to alarms.jsonl once a minute; readings as CSV on stdout.
echo "alarms go to $PWD/alarms.jsonl" >&2
sleep infinity | "$bin/iot-poll" run -c "$work/site.toml" --format jsonl \
    --on-alarm "cat >> '$PWD/alarms.jsonl'" --alarm-window 1m |
  jq -r 'select(.kind=="reading") | [.ts, .device, .point, .value, .uom, .quality] | @csv'
