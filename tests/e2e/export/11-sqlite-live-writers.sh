#!/usr/bin/env bash
# Live SQLite ingest: two writers into one file from pipes that stay open, a
# reader querying all the while: rows are committed on the flush interval (not
# only at end of input), nobody gets "database is locked", nothing is lost,
# retention runs on its timer, and query works on a read-only file.
. "$IOT_SOURCE/tests/lib.sh"
need jq
gen="$IOT_SOURCE/tests/e2e/export/gen-records"
db=$T/live.db
"$gen" 4000 2026-11-21T00:00:00 >"$T/a.jsonl"
"$gen" 4000 2026-11-22T00:00:00 >"$T/b.jsonl"
mkfifo "$T/fa" "$T/fb"
iot-export sqlite --db "$db" --flush-interval 0.2 <"$T/fa" 2>"$T/wa.err" &
wa=$!
iot-export sqlite --db "$db" --flush-interval 0.2 <"$T/fb" 2>"$T/wb.err" &
wb=$!
_iot_pids+=("$wa" "$wb")
# Each feeder keeps its pipe open, writing a slice every 0.1 s.
# (exec: killing the feeder's PID closes the pipe.)
feed() {
  exec >"$2"
  for ((i = 1; i <= 4000; i += 200)); do sed -n "$i,$((i + 199))p" "$1"; sleep 0.1; done
  exec sleep "$3"
}
feed "$T/a.jsonl" "$T/fa" 30 &
fa=$!
feed "$T/b.jsonl" "$T/fb" 30 &
fb=$!
_iot_pids+=("$fa" "$fb")
# The reader starts once the writers have made the file (querying a database that
# does not exist yet is an error, rightly).
for ((i = 0; i < 100; i++)); do [[ -s $db ]] && break; sleep 0.1; done
got=0
for ((i = 0; i < 300; i++)); do
  got=$(iot-export query --db "$db" 2>"$T/q.err" | wc -l) || fail "query refused: $(cat "$T/q.err")"
  [[ $got -ge 8000 ]] && break
  sleep 0.1
done
if [[ $got != 8000 ]]; then
  # Say which writer is behind, whether it still runs, and what it said.
  for w in a b; do
    pid=$wa; [[ $w == b ]] && pid=$wb
    echo "writer $w: $(kill -0 "$pid" 2>/dev/null && echo running || echo ended);" \
      "$(iot-export query --db "$db" --kind reading 2>/dev/null | grep -c "2026-11-2$([[ $w == a ]] && echo 1 || echo 2)T") rows;" \
      "stderr: $(cat "$T/w$w.err")" >&2
  done
fi
assert_eq "$got" 8000 "rows of both writers visible while their pipes are open"
kill -0 "$wa" && kill -0 "$wb" || fail "a writer ended early: $(cat "$T/wa.err" "$T/wb.err")"
kill "$fa" "$fb" 2>/dev/null
wait "$wa" || fail "writer a failed: $(cat "$T/wa.err")"
wait "$wb" || fail "writer b failed: $(cat "$T/wb.err")"
! grep -q locked "$T/wa.err" "$T/wb.err" || fail "database is locked: $(cat "$T/wa.err" "$T/wb.err")"

# Retention on a timer: --max-rows applies while the input is still open.
mkfifo "$T/fc"
iot-export sqlite --db "$db" --max-rows 100 --retention-interval 0.5 <"$T/fc" 2>"$T/wc.err" &
wc_pid=$!
_iot_pids+=("$wc_pid")
(head -1 "$T/a.jsonl"; exec sleep 60) >"$T/fc" &
fc=$!
_iot_pids+=("$fc")
n=0
for ((i = 0; i < 300; i++)); do
  n=$(iot-export query --db "$db" --kind reading | wc -l)
  [[ $n -le 100 ]] && break
  sleep 0.1
done
assert_eq "$n" 100 "readings after timed retention"
kill "$fc" 2>/dev/null
wait "$wc_pid" || fail "retention writer failed: $(cat "$T/wc.err")"

# stdin at end of input (/dev/null) or closed: ends and commits.
iot-export sqlite --db "$T/empty.db" </dev/null || fail "ingest of /dev/null failed"
# fd 0 closed outright: the database must not be opened as fd 0 and read as input.
timeout 20 iot-export sqlite --db "$T/closed.db" <&- 2>"$T/closed.err" || fail "ingest with stdin closed: exit $? $(cat "$T/closed.err")"
assert_eq "$(iot-export query --db "$T/closed.db" | wc -l)" 0 "rows from a closed stdin"
head -3 "$T/a.jsonl" | iot-export sqlite --db "$T/three.db" || fail "ingest of a short pipe failed"
assert_eq "$(iot-export query --db "$T/three.db" | wc -l)" 3 "rows from a short pipe"

# query opens the database read-only: a read-only file in a read-only directory.
mkdir "$T/ro"
cp "$db" "$T/ro/"
chmod 0444 "$T/ro/live.db"
chmod 0555 "$T/ro"
as=() exe=$(command -v iot-export)
if [[ $(id -u) == 0 ]]; then
  # As root, query as nobody, from a copy of the tool that nobody can reach (the
  # build tree may sit in a 0700 home, as /root is).
  chmod 755 "$T"
  install -m 755 "$exe" "$T/iot-export"
  exe=$T/iot-export as=(runuser -u nobody --)
fi
"${as[@]}" "$exe" query --db "$T/ro/live.db" --kind reading >"$T/ro.out" 2>"$T/ro.err" ||
  fail "query of a read-only file failed: $(cat "$T/ro.err")"
assert_eq "$(wc -l <"$T/ro.out")" 100 "rows read from the read-only file"
chmod 0755 "$T/ro"
