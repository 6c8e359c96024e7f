#!/usr/bin/env bash
# report and chart straight from a store (SQLite and PostgreSQL) over a time
# range: the stated period is the range asked for, an alarm raised before the
# range and cleared inside it is carried in (one closed before it is not), times
# are shown in the zone asked for, every page says "page N of M", and both
# stores give the same report. csv --tz writes local times with their offset.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/export/pg-lib"
need pdftotext pdfinfo
pg_start
# Readings of two points every 30 s from 00:00 to 03:00 UTC, and alarms:
#   ctrl1/ch1 H  00:10 - 00:20  (over before the range: left out)
#   ctrl1/ch1 HH 00:30 - 01:30  (active when the range starts at 01:00: carried in)
#   ctrl2/ch1 H  02:10 - 02:20  (inside the range)
#   ctrl2/ch1 H  02:40 -        (after the range: left out)
/usr/bin/python3 - >"$T/in.jsonl" <<'PY'
import json
from datetime import datetime, timezone, timedelta
t0 = datetime(2026, 11, 21, tzinfo=timezone.utc)
def ts(minutes):
    return (t0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
out = []
for i in range(360):
    m = i * 0.5
    for d in ("ctrl1", "ctrl2"):
        out.append({"ts": ts(m), "kind": "reading", "device": d, "point": "ch1", "value": round(10 + (i % 40) * 0.5, 1),
                    "uom": "%LEL", "quality": "ok", "site": "江阴站"})
def alarm(m, dev, state, level):
    out.append({"ts": ts(m + 0.001 / 60), "kind": "alarm", "device": dev, "point": "ch1", "state": state,
                "level": level, "type": "HL", "value": 27.5, "limit": 25 if level == "H" else 27, "uom": "%LEL"})
alarm(10, "ctrl1", "raised", "H"); alarm(20, "ctrl1", "cleared", None)
alarm(30, "ctrl1", "raised", "HH"); alarm(90, "ctrl1", "cleared", None)
alarm(130, "ctrl2", "raised", "H"); alarm(140, "ctrl2", "cleared", None)
alarm(160, "ctrl2", "raised", "H")
out.sort(key=lambda r: r["ts"])
for r in out:
    print(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
PY
iot-export sqlite --db "$T/s.db" "$T/in.jsonl"
iot-export postgres --db "$PG_URL" "$T/in.jsonl"

range=(--from 2026-11-21T01:00:00Z --to 2026-11-21T02:30:00Z --tz Asia/Shanghai)
iot-export report --db "$T/s.db" "${range[@]}" -o "$T/s.pdf" --title "Daily"
iot-export report --db "$PG_URL" "${range[@]}" -o "$T/p.pdf" --title "Daily"
text=$(pdftotext -layout "$T/s.pdf" -)
assert_contains "$text" "Site: 江阴站" "the site name from the records"
grep -qE "Period: 2026-11-21 09:00:00.000 +to +2026-11-21 10:30:00.000 +Asia/Shanghai \(UTC\+08:00\)" <<<"$text" ||
  fail "the period is not the range asked for: $text"
assert_contains "$text" "Duration: 1h 30m 00s"
grep -qE '^ *Generated: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +Asia/Shanghai' <<<"$text" || fail "no generated-at line"
# The carried-in alarm: raised 08:30 local (before the period, marked *), cleared 09:30.
row=$(grep -E '^ *ctrl1 +ch1 +HH ' <<<"$text") || fail "the alarm active at the start is missing: $text"
assert_contains "$row" "2026-11-21 08:30:00.001 *"
assert_contains "$row" "2026-11-21 09:30:00.001"
assert_contains "$row" "1h 00m 00s"
assert_contains "$text" "* raised before the period began"
grep -qE '^ *ctrl2 +ch1 +H +2026-11-21 10:10:00.001 +2026-11-21 10:20:00.001 +10m 00s' <<<"$text" ||
  fail "no row for the alarm inside the range"
[[ $text != *"08:10:00"* ]] || fail "an alarm that ended before the range is listed"
[[ $text != *"10:40:00"* ]] || fail "an alarm after the range is listed"
# Statistics cover the range only: 180 readings of each point.
grep -qE '^ *ctrl1 +ch1 +%LEL +180 ' <<<"$text" || fail "ctrl1/ch1 should have 180 readings in the range"
pages=$(pdfinfo "$T/s.pdf" | awk '/^Pages:/ {print $2}')
(( pages >= 2 )) || fail "expected a page of tables and one of charts, got $pages"
assert_eq "$(grep -c "page [0-9]* of $pages\$" <<<"$text")" "$pages" "'page N of $pages' on every page"
# PostgreSQL gives the same report (but for when it was made).
diff <(grep -v Generated <<<"$text") <(pdftotext -layout "$T/p.pdf" - | grep -v Generated) >"$T/diff" ||
  fail "SQLite and PostgreSQL reports differ: $(head -20 "$T/diff")"

# Filters: one device; the report then has neither ctrl2 nor its alarm.
iot-export report --db "$T/s.db" "${range[@]}" --device ctrl1 -o "$T/one.pdf"
one=$(pdftotext -layout "$T/one.pdf" -)
[[ $one != *ctrl2* ]] || fail "--device ctrl1 still shows ctrl2"
assert_contains "$one" "2026-11-21 08:30:00.001 *"

# The same from the record file: the range and the carried-in alarm work there too.
iot-export report "$T/in.jsonl" "${range[@]}" -o "$T/f.pdf" --title "Daily"
diff <(grep -v Generated <<<"$text") <(pdftotext -layout "$T/f.pdf" - | grep -v Generated) >"$T/diff" ||
  fail "the report from the file differs from the one from the store: $(head -20 "$T/diff")"

# A chart from the store: its axis is the range, labelled in the zone.
iot-export chart --db "$PG_URL" "${range[@]}" --point ch1 -o "$T/c.pdf"
chart=$(pdftotext "$T/c.pdf" -)
grep -qE "2026-11-21 09:00:00 +to +2026-11-21 10:30:00 Asia/Shanghai \(UTC\+08:00\)" <<<"$chart" || fail "chart axis: $chart"
assert_contains "$chart" "10:00"

# csv --tz: local time with the offset; the system zone through TZ with --tz local.
line=$(iot-export csv "$T/in.jsonl" --tz Asia/Shanghai | sed -n 2p)
assert_contains "$line" "2026-11-21T08:00:00.000+08:00,reading,ctrl1"
line=$(TZ=America/New_York iot-export csv "$T/in.jsonl" --tz local | sed -n 2p)
assert_contains "$line" "2026-11-20T19:00:00.000-05:00,reading,ctrl1"

# Bad input is named.
assert_status 2 iot-export report --db "$T/s.db" --tz Mars/Olympus -o "$T/x.pdf"
assert_contains "$(iot-export report --db "$T/s.db" --tz Mars/Olympus -o "$T/x.pdf" 2>&1 || true)" "unknown time zone 'Mars/Olympus'"
assert_status 2 iot-export report --db "$T/s.db" --from 2026-11-21T02:00:00Z --to 2026-11-21T01:00:00Z -o "$T/x.pdf"
assert_status 2 iot-export report "$T/in.jsonl" --db "$T/s.db" -o "$T/x.pdf"
assert_status 4 iot-export report --db "$T/missing.db" -o "$T/x.pdf"
