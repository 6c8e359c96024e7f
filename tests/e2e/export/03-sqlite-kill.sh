#!/usr/bin/env bash
# An ingest killed with SIGKILL in the middle leaves a consistent database, and
# running it again completes it without duplicates: exactly 1,000,000 rows.
# ctest-labels: no-sanitizer
. "$IOT_SOURCE/tests/lib.sh"
"$IOT_SOURCE/tests/e2e/export/gen-records" 1000000 2026-11-01T00:00:00 | gzip -1 >"$T/in.jsonl.gz"
db=$T/big.db
count() {
  /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("select count(*) from readings").fetchone()[0])' "$1"
}
# Small batches so a kill lands between commits with work committed before it.
iot-export sqlite --db "$db" --batch 20000 "$T/in.jsonl.gz" &
pid=$!
_iot_pids+=("$pid")
# Kill once some batches are in (the WAL file grows with each commit).
for _ in $(seq 600); do
  [[ -s $db-wal ]] && (( $(stat -c %s "$db-wal") > 8000000 )) && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
kill -0 "$pid" 2>/dev/null || fail "the ingest finished before it could be killed"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
partial=$(count "$db")
/usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute("pragma integrity_check").fetchone()[0]; sys.exit(0 if r=="ok" else r)' "$db" ||
  fail "integrity check failed after kill -9"
(( partial > 0 && partial < 1000000 )) || fail "expected a partial ingest, got $partial rows"
echo "killed after $partial rows" >&2
iot-export sqlite --db "$db" "$T/in.jsonl.gz"
assert_eq "$(count "$db")" 1000000 "rows after the rerun"
# And no duplicates by the natural key (the primary key guarantees it; check anyway).
dups=$(/usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("select count(*) from (select 1 from readings group by ts, device, point having count(*) > 1)").fetchone()[0])' "$db")
assert_eq "$dups" 0 "duplicate keys"
