#!/usr/bin/env bash
# report: a PDF that renders (pdftoppm) and holds the period, the statistics and
# the alarm table (raised, cleared, duration, peak).
. "$IOT_SOURCE/tests/lib.sh"
need pdftoppm pdftotext
"$IOT_SOURCE/tests/e2e/export/gen-records" 20000 --events >"$T/in.jsonl"
printf '%s\n' '{"ts":"2026-11-21T00:11:00.000Z","kind":"alarm","device":"ctrl9","point":"co","state":"raised","level":"H","type":"HL","value":31.5,"limit":30,"uom":"ppm"}' \
  '{"ts":"2026-11-21T00:11:30.000Z","kind":"reading","device":"ctrl9","point":"co","value":42.25,"uom":"ppm","quality":"ok"}' \
  '{"ts":"2026-11-21T00:12:05.500Z","kind":"alarm","device":"ctrl9","point":"co","state":"cleared","level":null,"type":"HL","value":12,"limit":30,"uom":"ppm"}' \
  >>"$T/in.jsonl"
iot-export report "$T/in.jsonl" -o "$T/r.pdf" --title "Gas plant daily report"
pdftoppm -r 40 -png "$T/r.pdf" "$T/page"
ls "$T"/page-*.png >/dev/null 2>&1 || fail "pdftoppm rendered no page"
text=$(pdftotext -layout "$T/r.pdf" -)
assert_contains "$text" "Gas plant daily report"
assert_contains "$text" "Period: 2026-11-21 00:00:00.011"
assert_contains "$text" "Alarms"
# The alarm of ctrl9/co: raised, cleared, duration, peak (the reading in between), limit.
row=$(grep -E '^ *ctrl9 +co +H ' <<<"$text") || fail "no alarm row for ctrl9/co in: $text"
assert_contains "$row" "2026-11-21 00:11:00.000"
assert_contains "$row" "2026-11-21 00:12:05.500"
assert_contains "$row" "1m 05s"
assert_contains "$row" "42.25"
# Statistics of that point: 1 reading, min = max = mean.
grep -qE '^ *ctrl9 +co +ppm +1 +42.25 +42.25 +42.25' <<<"$text" || fail "no statistics row for ctrl9/co"
# An HH alarm of the generated data is listed with its duration.
grep -qE '^ *ctrl[1-4] +ch1 +HH +2026-11-21 00:0[0-9]:[0-9.]+ +2026-11-21 [0-9:.]+ +14.0s' <<<"$text" ||
  fail "no generated HH alarm row"
