#!/usr/bin/env bash
# File exports lose nothing quietly: a truncated .jsonl.gz is an error naming
# the file; an xlsx cell over Excel's 32,767 characters is cut with a warning
# (the workbook is whole, openpyxl reads it), write records get a sheet; csv
# fails loudly when a field shows up after the header was chosen, and --scan 0
# gives every field a column.
. "$IOT_SOURCE/tests/lib.sh"
need gzip jq
gen="$IOT_SOURCE/tests/e2e/export/gen-records"
"$gen" 20000 >"$T/in.jsonl"
gzip -c "$T/in.jsonl" >"$T/in.jsonl.gz"
head -c $(($(stat -c %s "$T/in.jsonl.gz") / 2)) "$T/in.jsonl.gz" >"$T/cut.jsonl.gz"
status=0
iot-export csv "$T/cut.jsonl.gz" -o "$T/cut.csv" 2>"$T/cut.err" || status=$?
[[ $status != 0 ]] || fail "a truncated gzip file was read as complete"
assert_contains "$(cat "$T/cut.err")" "$T/cut.jsonl.gz"
assert_contains "$(cat "$T/cut.err")" "truncated"
status=0
iot-export sqlite --db "$T/cut.db" "$T/cut.jsonl.gz" 2>"$T/cut2.err" || status=$?
[[ $status != 0 ]] || fail "sqlite: a truncated gzip file was read as complete"
iot-export csv "$T/in.jsonl.gz" -o "$T/whole.csv" || fail "a whole gzip file failed"
assert_eq "$(wc -l <"$T/whole.csv")" 20001 "lines of the csv of the whole gzip file"

# xlsx: a 40,000-character value is cut, with a warning naming the line.
long=$(head -c 40000 /dev/zero | tr '\0' 'x')
{
  head -5 "$T/in.jsonl"
  echo "{\"ts\":\"2026-11-21T09:00:00.000Z\",\"kind\":\"reading\",\"device\":\"d\",\"point\":\"long\",\"value\":\"$long\"}"
  echo '{"ts":"2026-11-21T09:00:01.000Z","kind":"write","port":"bus1","unit":1,"device":"relay1","point":"k1","addr":"coil:0","fc":5,"value":true,"raw":[1],"ok":true,"quality":"ok","latency_ms":2.5}'
  echo '{"ts":"2026-11-21T09:00:02.000Z","kind":"reading","device":"d","point":"after","value":1}'
} >"$T/long.jsonl"
iot-export xlsx "$T/long.jsonl" -o "$T/long.xlsx" 2>"$T/xlsx.err" || fail "xlsx failed: $(cat "$T/xlsx.err")"
assert_contains "$(cat "$T/xlsx.err")" "$T/long.jsonl:6: readings \"value\" is longer than Excel's 32767 characters"
/usr/bin/python3 - "$T/long.xlsx" <<'PY' || fail "workbook check failed"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
rows = list(wb["readings"].iter_rows(values_only=True))
assert rows[-1][2] == "after", rows[-1]
assert len(rows[-2][3]) == 32767, len(rows[-2][3])
w = list(wb["writes"].iter_rows(values_only=True))
assert w[0][:5] == ("ts", "device", "point", "value", "ok"), w[0]
assert w[1][1:5] == ("relay1", "k1", True, True), w[1]
PY

# csv: a field first seen after the scanned records fails the export (exit 8).
{ head -3 "$T/in.jsonl"; echo '{"ts":"2026-11-21T09:00:00.000Z","kind":"reading","device":"d","point":"p","value":1,"late":5}'; } >"$T/late.jsonl"
status=0
iot-export csv --scan 2 "$T/late.jsonl" -o "$T/late.csv" 2>"$T/late.err" || status=$?
assert_eq "$status" 8 "exit status when a field was left out"
assert_contains "$(cat "$T/late.err")" "late"
iot-export csv --scan 0 "$T/late.jsonl" -o "$T/all.csv" || fail "--scan 0 failed"
assert_eq "$(head -1 "$T/all.csv")" "ts,kind,port,unit,device,point,addr,value,raw,uom,quality,late" "header with --scan 0"
assert_eq "$(tail -1 "$T/all.csv")" "2026-11-21T09:00:00.000Z,reading,,,d,p,,1,,,,5" "last row with --scan 0"
