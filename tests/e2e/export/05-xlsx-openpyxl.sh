#!/usr/bin/env bash
# xlsx: a sheet per kind, typed cells (date-times, numbers, booleans), frozen
# header and autofilter, read back with openpyxl.
. "$IOT_SOURCE/tests/lib.sh"
/usr/bin/python3 -c 'import openpyxl' 2>/dev/null || missing_peer "python3-openpyxl is not installed"
cat >"$T/in.jsonl" <<'J'
{"ts":"2026-11-21T08:00:00.123Z","kind":"reading","port":"bus1","unit":1,"device":"ctrl1","point":"ch1","addr":"hr:0","value":12.5,"raw":[125],"uom":"%LEL","quality":"ok"}
{"ts":"2026-11-21T08:00:01.000Z","kind":"reading","port":"bus1","unit":1,"device":"ctrl1","point":"run","addr":"coil:0","value":true,"raw":[1],"quality":"ok"}
{"ts":"2026-11-21T08:00:02.000Z","kind":"reading","port":"bus1","unit":1,"device":"ctrl1","point":"name","value":"pump \"A\"","quality":"ok","src":"x"}
{"ts":"2026-11-21T08:00:03.000Z","kind":"reading","port":"bus1","unit":2,"device":"ctrl2","point":"ch1","value":null,"quality":"timeout","error":"no answer"}
{"ts":"2026-11-21T08:00:04.500Z","kind":"alarm","device":"ctrl1","point":"ch1","state":"raised","level":"HH","type":"HH","value":55.5,"limit":50,"uom":"%LEL"}
{"ts":"2026-11-21T08:00:05.000Z","kind":"status","port":"bus1","unit":3,"device":"ctrl3","state":"offline","reason":"3 requests without answer"}
J
iot-export xlsx "$T/in.jsonl" -o "$T/out.xlsx"
iot-export xlsx -o - <"$T/in.jsonl" >"$T/stdout.xlsx"
/usr/bin/python3 - "$T/out.xlsx" "$T/stdout.xlsx" <<'PY'
import sys, datetime, openpyxl
for path in sys.argv[1:]:
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["readings", "alarms", "status", "writes"], wb.sheetnames
    ws = wb["readings"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:6] == ("ts", "device", "point", "value", "uom", "quality"), rows[0]
    assert len(rows) == 5, rows
    ts = rows[1][0]
    assert isinstance(ts, datetime.datetime), type(ts)
    assert ts == datetime.datetime(2026, 11, 21, 8, 0, 0, 123000), ts
    assert ws["A2"].number_format.startswith("yyyy-mm-dd hh:mm:ss"), ws["A2"].number_format
    assert rows[1][3] == 12.5 and isinstance(rows[1][3], float), rows[1]
    assert rows[1][7] == 1 and isinstance(rows[1][7], int), rows[1]       # unit
    assert rows[1][9] == "[125]", rows[1]
    assert rows[2][3] is True, rows[2]
    assert rows[3][3] == 'pump "A"', rows[3]
    assert rows[3][12] == '{"src":"x"}', rows[3]
    assert rows[4][3] is None and rows[4][5] == "timeout" and rows[4][10] == "no answer", rows[4]
    assert ws.freeze_panes == "A2", ws.freeze_panes
    assert ws.auto_filter.ref == "A1:M5", ws.auto_filter.ref
    assert ws.column_dimensions["A"].width > 20
    a = list(wb["alarms"].iter_rows(values_only=True))
    assert a[1][1:8] == ("ctrl1", "ch1", "raised", "HH", "HH", 55.5, 50), a[1]
    assert a[1][0] == datetime.datetime(2026, 11, 21, 8, 0, 4, 500000), a[1][0]
    s = list(wb["status"].iter_rows(values_only=True))
    assert s[1][1:6] == ("bus1", 3, "ctrl3", "offline", "3 requests without answer"), s[1]
print("ok")
PY
