# Lines that are no frame are reported with their line number on stderr, the
# other lines go on, and the exit status is 1; stdout holds records only.
. "$IOT_SOURCE/tests/lib.sh"
printf '01 03 00 00 00 04 44 09\nhello\n\n# a comment\n01 03 003\n01 06 00 01 00 03 98 0B\n' >"$T/in.hex"
status=0
iot-decode frame <"$T/in.hex" >"$T/out.jsonl" 2>"$T/err" || status=$?
assert_eq "$status" 1 "exit status"
assert_eq "$(wc -l <"$T/out.jsonl")" 2 "records written"
validate_records "$T/out.jsonl"
err=$(cat "$T/err")
assert_contains "$err" "line 2: column 1: 'h' is not a hex digit"
assert_contains "$err" "line 5: column 9: odd number of hex digits"
[[ $(grep -c . "$T/err") == 2 ]] || fail "expected two messages, got: $err"
# A usage error is status 2.
assert_status 2 iot-decode frame --framing nonsense 01 03 2>/dev/null
