#!/usr/bin/env bash
# iot-decode throughput, side by side with tshark on the same capture.
#   bench/decode.sh [N]   (default 1,000,000 frames)
# Prints a markdown table; docs/benchmarks.md keeps the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
bin=build/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/make-frames.py "$work" "$n"

# CPU seconds (user+sys) of a command, its output to /dev/null.
cpu() { /usr/bin/time -f '%U %S' -o "$work/t" "$@" >/dev/null 2>/dev/null; awk '{print $1+$2}' "$work/t"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN{printf "%.0f", n/s}'; }

frame_s=$(cpu "$bin/iot-decode" frame <"$work/frames.hex")
pcap_s=$(cpu "$bin/iot-decode" pcap "$work/frames.pcap")
regs_s=$(cpu "$bin/iot-decode" regs --type f32 <"$work/words.jsonl")
echo "| what | frames | CPU s | frames/s |"
echo "|---|---|---|---|"
echo "| iot-decode frame (hex lines to records) | $n | $frame_s | $(rate "$n" "$frame_s") |"
echo "| iot-decode pcap (Modbus TCP capture) | $n | $pcap_s | $(rate "$n" "$pcap_s") |"
echo "| iot-decode regs (word pairs to f32 readings) | $n | $regs_s | $(rate "$n" "$regs_s") |"
if command -v tshark >/dev/null; then
  tshark_s=$(cpu tshark -r "$work/frames.pcap" -Y modbus -T fields -e mbtcp.trans_id -e mbtcp.unit_id \
    -e modbus.func_code -e modbus.reference_num -e modbus.regval_uint16)
  echo "| tshark -T fields on the same capture | $n | $tshark_s | $(rate "$n" "$tshark_s") |"
  awk -v a="$tshark_s" -v b="$pcap_s" 'BEGIN{printf "\niot-decode pcap is %.1fx faster than tshark on the same capture.\n", a/b}'
fi
