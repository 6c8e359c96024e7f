#!/usr/bin/env bash
# Prints SITE with each port's url replaced by where a running iot-sim serves it,
# as its ready record (in SIM_OUT) says: the pty of a serial bus, the real TCP
# port of a network port. Then `iot-poll run -c` on the result polls the simulator.
#   examples/site-for-sim.sh SITE SIM_OUT > polled-site.toml
set -euo pipefail
site=$1 sim_out=$2
cp "$site" "$site.tmp.$$"
trap 'rm -f "$site.tmp.$$"' EXIT
jq -r 'select(.kind=="ready") | .endpoints[] | "\(.port)|\(.path // "")|\(.url)"' "$sim_out" |
  while IFS='|' read -r port path url; do
    if [[ -n $path ]]; then
      # Keep the line settings of the url, serve the pty path instead of "pty".
      sed -i "/^name = \"$port\"/{n;s|rtu:pty|rtu:$path|;s|ascii:pty|ascii:$path|}" "$site.tmp.$$"
    else
      sed -i "/^name = \"$port\"/{n;s|^url = .*|url = \"$url\"|}" "$site.tmp.$$"
    fi
  done
cat "$site.tmp.$$"
