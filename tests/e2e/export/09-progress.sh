#!/usr/bin/env bash
# The progress bar is drawn on a terminal (script(1) gives one) and never
# when stderr is a file or a pipe.
. "$IOT_SOURCE/tests/lib.sh"
need script
"$IOT_SOURCE/tests/e2e/export/gen-records" 300000 >"$T/in.jsonl"
script -qec "iot-export sqlite --db '$T/db' '$T/in.jsonl'" "$T/tty.log" >/dev/null
assert_contains "$(tr '\r' '\n' <"$T/tty.log")" "reading ["
iot-export sqlite --db "$T/db2" "$T/in.jsonl" 2>"$T/err"
assert_eq "$(cat "$T/err")" "" "stderr when not a terminal"
script -qec "iot-export sqlite --no-progress --db '$T/db3' '$T/in.jsonl'" "$T/tty2.log" >/dev/null
[[ $(tr -d '\r\n' <"$T/tty2.log") != *"reading ["* ]] || fail "--no-progress drew a bar"
