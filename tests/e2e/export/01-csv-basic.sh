#!/usr/bin/env bash
# csv/tsv: header from the fields present, RFC 4180 quoting, alarms to their own
# file, .gz input, bad lines reported as FILE:LINE and exit status 1.
. "$IOT_SOURCE/tests/lib.sh"
need jq gzip
cat >"$T/in.jsonl" <<'J'
{"ts":"2026-11-21T08:00:00.000Z","kind":"reading","device":"ctrl1","point":"ch1","value":12.5,"raw":[125],"uom":"%LEL","quality":"ok"}
{"ts":"2026-11-21T08:00:01.000Z","kind":"reading","device":"ctrl1","point":"a,b","value":"say \"hi\"","raw":[1],"uom":"%LEL","quality":"ok"}
{"ts":"2026-11-21T08:00:02.000Z","kind":"alarm","device":"ctrl1","point":"ch1","state":"raised","level":"HH","type":"HH","value":55,"limit":50}
J
iot-export csv "$T/in.jsonl" -o "$T/out.csv" --alarms "$T/alarms.csv"
assert_eq "$(cat "$T/out.csv")" 'ts,kind,device,point,value,raw,uom,quality
2026-11-21T08:00:00.000Z,reading,ctrl1,ch1,12.5,[125],%LEL,ok
2026-11-21T08:00:01.000Z,reading,ctrl1,"a,b","say ""hi""",[1],%LEL,ok' "csv"
assert_eq "$(cat "$T/alarms.csv")" 'ts,kind,device,point,state,level,type,value,limit
2026-11-21T08:00:02.000Z,alarm,ctrl1,ch1,raised,HH,HH,55,50' "alarms csv"

# Python's csv module reads it back as the same fields.
got=$(/usr/bin/python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1]))); print(r[2][3], "|", r[2][4])' "$T/out.csv")
assert_eq "$got" 'a,b | say "hi"' "python csv"

# TSV from gzip-compressed input on stdin-like file argument, with --fields.
gzip -c "$T/in.jsonl" >"$T/in.jsonl.gz"
assert_eq "$(iot-export tsv --fields ts,point,value "$T/in.jsonl.gz")" $'ts\tpoint\tvalue
2026-11-21T08:00:00.000Z\tch1\t12.5
2026-11-21T08:00:01.000Z\ta,b\tsay "hi"
2026-11-21T08:00:02.000Z\tch1\t55' "tsv"

# Bad lines: reported with file and line, skipped, exit status 1.
printf '%s\n' '{"ts":"2026-11-21T08:00:03.000Z","kind":"reading","device":"d","point":"p","value":1}' \
  'garbage' '{"ts":"2026-11-21T08:00:04.000Z","kind":"nonsense"}' >"$T/bad.jsonl"
status=0
iot-export csv "$T/bad.jsonl" >"$T/bad.csv" 2>"$T/bad.err" || status=$?
assert_eq "$status" 1 "exit status with bad lines"
assert_contains "$(cat "$T/bad.err")" "iot-export: warning: $T/bad.jsonl:2: "
assert_contains "$(cat "$T/bad.err")" "iot-export: warning: $T/bad.jsonl:3: unknown kind \"nonsense\""
assert_eq "$(wc -l <"$T/bad.csv")" 2 "lines written"

# From stdin, and no progress bar when stderr is not a terminal.
iot-export csv <"$T/in.jsonl" >"$T/stdin.csv" 2>"$T/stdin.err"
assert_eq "$(wc -l <"$T/stdin.csv")" 4 "stdin lines"
assert_eq "$(cat "$T/stdin.err")" "" "stderr"
# A closed reader ends the tool quietly.
"$IOT_SOURCE/tests/e2e/export/gen-records" 50000 >"$T/big.jsonl"
assert_status 0 bash -c "iot-export csv '$T/big.jsonl' | head -1 >/dev/null"
