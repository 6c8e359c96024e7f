#!/usr/bin/env bash
# examples/export-day.sh runs and makes its workbook, chart, report and store;
# the committed demo day matches its generator.
. "$IOT_SOURCE/tests/lib.sh"
need pdftotext
(cd "$T" && /usr/bin/python3 "$IOT_SOURCE/examples/data/make-demo-day.py")
cmp -s "$T/demo-day.jsonl" "$IOT_SOURCE/examples/data/demo-day.jsonl" ||
  fail "examples/data/demo-day.jsonl differs from what make-demo-day.py writes"
IOT_BIN=$IOT_BIN "$IOT_SOURCE/examples/export-day.sh" "$T/out" >"$T/alarms.jsonl" 2>"$T/err"
for f in demo-day.xlsx readings.csv alarms.csv status.csv ctrl2.png temperatures.svg demo-day.pdf site.db; do
  [[ -s $T/out/$f ]] || fail "examples/export-day.sh did not write $f"
done
assert_eq "$(jq -r .state "$T/alarms.jsonl" | tr '\n' ' ')" "raised level cleared " "alarms of the day"
assert_contains "$(pdftotext -layout "$T/out/demo-day.pdf" -)" "1h 05m 00s"
