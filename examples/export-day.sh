#!/usr/bin/env bash
# A day of the demo gas plant (data/demo-day.jsonl, made by data/make-demo-day.py)
# turned into a workbook, a chart, a PDF report and a SQLite store.
# Usage: examples/export-day.sh [OUTDIR]   (default: ./export-day-out)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${IOT_BIN:-$here/../build/bin}
export PATH="$bin:$PATH"
out=${1:-export-day-out}
mkdir -p "$out"
day=$here/data/demo-day.jsonl

# Spreadsheets: a workbook with a sheet per kind, and CSV with alarms apart.
iot-export xlsx "$day" -o "$out/demo-day.xlsx"
# --scan 0: the alarm and error fields first appear after the first 1000 records.
iot-export csv "$day" --scan 0 -o "$out/readings.csv" --alarms "$out/alarms.csv" --status "$out/status.csv"

# The leak on ctrl2: its gas channels with the H/HH limits and the alarm shaded.
iot-export chart "$day" --device ctrl2 --point ch1 --point ch2 --point ch3 \
  --title "ctrl2 gas channels, 21 Nov 2026" -o "$out/ctrl2.png"
iot-export chart "$day" --device ctrl1 --device ctrl3 --point temp -o "$out/temperatures.svg"

# The printable report: period, devices, statistics, alarm table, charts.
iot-export report "$day" -o "$out/demo-day.pdf" --title "Demo gas plant - daily report"

# A store to query later; the alarms of the day back as JSON Lines.
rm -f "$out/site.db"
iot-export sqlite --db "$out/site.db" "$day"
iot-export query --db "$out/site.db" --kind alarm

echo "written to $out:" >&2
ls -l "$out" >&2
