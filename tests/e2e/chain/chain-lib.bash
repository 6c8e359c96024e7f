# The whole chain under faults, shared by the short CI test (01-chain-chaos.sh)
# and the long run (bench/chain-soak.sh):
#
#   iot-sim (fault schedule) <- iot-poll run </dev/null | tee ledger.jsonl
#     | iot-mqtt-bridge pub -q 1 --spool  -> Mosquitto (persistence)
#     -> iot-mqtt-bridge sub -q 1 -c >> archive.jsonl
#     -> tail -F archive.jsonl | iot-export sqlite     (and | iot-export postgres)
#
# while Mosquitto, sub and both exporters are SIGKILLed and restarted, and a reader
# queries both databases every second. At the end every reading of the ledger
# must be stored exactly once in each database.
#
# Why a file between sub and the exporters: sub acknowledges a message once its
# line is written; a line written into a pipe whose reader is then killed is
# lost with the pipe. An appended file outlives both processes, and the
# exporters' idempotent ingest (docs/storage.md) makes re-reading it from the
# start harmless after a restart. docs/reliability.md explains the design.
#
# Sourced after tests/lib.sh, tests/e2e/mqtt-bridge/broker.inc and
# tests/e2e/export/pg-lib. Settings (environment):
#   CHAIN_SECONDS   how long iot-poll polls (default 40)
#   FAULT_EVERY     seconds between two injected faults (default 5)
#   CHAIN_REPORT    file to write the figures to as JSON (optional)

CHAIN_SECONDS=${CHAIN_SECONDS:-40}
FAULT_EVERY=${FAULT_EVERY:-5}
chain_dir=$IOT_SOURCE/tests/e2e/chain

# proc_usage PID: "rss_kib fds" of a live process.
proc_usage() {
  local rss fds
  rss=$(awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0)
  fds=$(ls "/proc/$1/fd" 2>/dev/null | wc -l)
  echo "${rss:-0} $fds"
}

# usage_snapshot FILE SECONDS: one line per live chain process: SECONDS NAME PID RSS FDS.
usage_snapshot() {
  local file=$1 label=$2 name pid
  for name in sim poll tee pub sub export_sqlite export_pg broker; do
    pid=${chain_pids[$name]:-}
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || continue
    echo "$label $name $pid $(proc_usage "$pid")" >>"$file"
  done
}

declare -A chain_pids
declare -A chain_kills=([broker]=0 [sub]=0 [export_sqlite]=0 [export_pg]=0)

# CMD ... & remember NAME: the PID of the job just started, by name; it is
# stopped at exit. (The job itself opens its redirections, so FIFOs do not block
# the script.)
remember() {
  chain_pids[$1]=$!
  _iot_pids+=("$!")
}

start_sub() {
  iot-mqtt-bridge sub -b "$BROKER" -q 1 -c -i chain-archive --reconnect-max 1s \
    -t 'chain/#' >>"$T/archive.jsonl" 2>>"$T/sub.err" </dev/null &
  remember sub
}

# start_export KIND: tail -F archive.jsonl | iot-export KIND, from the first line
# (the ingest is idempotent), through a FIFO so both PIDs are known.
start_export() {
  local kind=$1 fifo=$T/export-$1.fifo db
  [[ -p $fifo ]] || mkfifo "$fifo"
  if [[ $kind == sqlite ]]; then db=$T/chain.db; else db=$PG_URL; fi
  tail -n +1 -F "$T/archive.jsonl" >"$fifo" 2>/dev/null &
  remember "tail_$kind"
  iot-export "$kind" --db "$db" --no-progress <"$fifo" >>"$T/export-$kind.out" 2>>"$T/export-$kind.err" &
  remember "export_$kind"
}

kill_chain() {  # kill_chain NAME: SIGKILL a chain process and wait for it
  local pid=${chain_pids[$1]}
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

restart_export() {
  kill_chain "export_$1"
  kill_chain "tail_$1"
  start_export "$1"
}

# wait_for_probe DB: wait (at most 60 s) until the exporter has stored the probe status record in DB.
wait_for_probe() {
  local i
  for ((i = 0; i < 600; i++)); do
    iot-export query --db "$1" --kind status 2>/dev/null | grep -q '"port":"probe"' && return 0
    sleep 0.1
  done
  fail "the exporter into $1 did not store the probe within 60 s"
}

# reader DB NAME: query DB once a second until told to stop; one line per query:
# "epoch status rows".
start_reader() {
  local db=$1 name=$2
  (
    while [[ ! -e $T/stop-readers ]]; do
      st=0
      iot-export query --db "$db" --kind reading >"$T/reader-$name.rows" 2>>"$T/reader-$name.err" || st=$?
      echo "$(date +%s.%N) $st $(wc -l <"$T/reader-$name.rows")"
      sleep 1
    done
  ) >"$T/reader-$name.log" &
  remember "reader_$name"
}

# Mosquitto saves its in-memory state (sessions, their subscriptions, queued QoS 1
# messages) only every autosave_interval seconds (default 1800) or at a clean
# stop: after a SIGKILL it comes back without the archive's session, and what pub
# publishes before sub has subscribed again goes to nobody, although the broker
# acknowledged it. Saving on every change closes that gap (docs/reliability.md).
chain_broker() {
  start_broker "autosave_interval 1" "autosave_on_changes true"
  chain_pids[broker]=$broker_pid
}

chain_run() {
  local gw1 gw2
  gw1=$(free_port); gw2=$(free_port)
  sed -e "s/@GW1@/$gw1/" -e "s/@GW2@/$gw2/" "$chain_dir/site.toml.in" >"$T/site.toml"

  chain_broker
  pg_start
  : >"$T/archive.jsonl"

  # The simulator, with stdin kept open by a FIFO writer (its stdin commands are not used).
  mkfifo "$T/sim.in"
  exec {sim_in}<>"$T/sim.in"
  iot-sim run -c "$T/site.toml" <"$T/sim.in" >"$T/sim.out" 2>"$T/sim.err" &
  remember sim
  wait_for_line "$T/sim.out" '"kind":"ready"' 15

  # The archive's session must exist before the first reading is published: wait
  # until a probe (a status record, stored like the rest) comes through.
  start_sub
  local i
  for ((i = 0; i < 100; i++)); do
    mosquitto_pub -p "$BROKER_PORT" -q 1 -t chain/probe \
      -m "{\"ts\":\"$(date -u +%FT%T.000Z)\",\"kind\":\"status\",\"port\":\"probe\",\"state\":\"connected\",\"reason\":\"chain test probe\"}" 2>/dev/null
    grep -q '"topic":"chain/probe"' "$T/archive.jsonl" && break
    sleep 0.1
  done
  grep -q '"topic":"chain/probe"' "$T/archive.jsonl" || fail "sub did not receive the probe: $(cat "$T/sub.err")"

  start_export sqlite
  start_export postgres
  chain_pids[export_pg]=${chain_pids[export_postgres]}
  # The readers start once each store holds the probe, so that the database and
  # its tables exist: a query of a database not made yet is rightly refused.
  wait_for_probe "$T/chain.db"
  wait_for_probe "$PG_URL"
  start_reader "$T/chain.db" sqlite
  start_reader "$PG_URL" postgres

  # The polled chain: iot-poll with stdin closed, as systemd runs it.
  mkfifo "$T/poll.fifo" "$T/pub.fifo"
  iot-poll run -c "$T/site.toml" --duration "${CHAIN_SECONDS}s" </dev/null >"$T/poll.fifo" 2>"$T/poll.err" &
  remember poll
  tee "$T/ledger.jsonl" <"$T/poll.fifo" >"$T/pub.fifo" &
  remember tee
  # Records of every kind are published: readings to their point, status and
  # stats records to topics of their own.
  local topics=(-t 'chain/{port}/{device}/{point}')
  [[ -z ${CHAIN_ONE_TOPIC:-} ]] && topics+=(--topic-for 'status=chain/{port}/status' --topic-for 'stats=chain/stats')
  iot-mqtt-bridge pub -b "$BROKER" -q 1 -i chain-pub --spool "$T/spool" --reconnect-max 1s "${topics[@]}" \
    <"$T/pub.fifo" >"$T/pub.out" 2>"$T/pub.err" &
  remember pub
  local t0=$SECONDS
  # RSS and open files of every chain process every 2 s, after 3 s of warm-up;
  # the check compares each process's first and last sample.
  (
    sleep 3
    while [[ ! -e $T/stop-readers ]]; do usage_snapshot "$T/usage.txt" "$((SECONDS - t0))"; sleep 2; done
  ) &
  remember sampler

  # Faults until the poller's duration is over: the broker most often, then sub
  # and each exporter in turn.
  local schedule=(broker sub broker export_sqlite broker export_pg) k=0 what
  while kill -0 "${chain_pids[poll]}" 2>/dev/null && ((SECONDS - t0 < CHAIN_SECONDS - FAULT_EVERY / 2)); do
    sleep "$FAULT_EVERY"
    kill -0 "${chain_pids[poll]}" 2>/dev/null || break
    what=${schedule[k % ${#schedule[@]}]}; k=$((k + 1))
    echo "t+$((SECONDS - t0))s: SIGKILL $what" >>"$T/faults.log"
    case $what in
      broker) kill_broker KILL; sleep 1; chain_broker ;;
      sub) kill_chain sub; sleep 0.5; start_sub ;;
      export_sqlite) restart_export sqlite ;;
      export_pg) restart_export postgres; chain_pids[export_pg]=${chain_pids[export_postgres]} ;;
    esac
    chain_kills[$what]=$((chain_kills[$what] + 1))
  done

  # iot-poll ends after its duration; pub then drains its spool and exits.
  wait "${chain_pids[poll]}" || fail "iot-poll exited with $?: $(tail -5 "$T/poll.err")"
  local pub_status=0
  wait "${chain_pids[pub]}" || pub_status=$?
  ((pub_status == 0)) || fail "pub exited with $pub_status: $(tail -5 "$T/pub.err")"
  exec {sim_in}>&-

  # Wait until the archive and both databases hold every reading of the ledger.
  local want
  want=$(grep -c '"kind":"reading"' "$T/ledger.jsonl")
  ((want > 0)) || fail "the ledger holds no reading: $(tail -5 "$T/poll.err")"
  chain_wait_stored "$T/chain.db" "$want" sqlite
  chain_wait_stored "$PG_URL" "$want" postgres
  touch "$T/stop-readers"
  kill_chain tail_sqlite; kill_chain tail_postgres
  wait "${chain_pids[export_sqlite]}" || fail "iot-export sqlite exited with $?: $(tail -5 "$T/export-sqlite.err")"
  wait "${chain_pids[export_postgres]}" || fail "iot-export postgres exited with $?: $(tail -5 "$T/export-postgres.err")"
  wait "${chain_pids[reader_sqlite]}" "${chain_pids[reader_postgres]}" "${chain_pids[sampler]}" 2>/dev/null || true

  iot-export query --db "$T/chain.db" --kind reading >"$T/stored-sqlite.jsonl"
  iot-export query --db "$PG_URL" --kind reading >"$T/stored-postgres.jsonl"
  /usr/bin/python3 "$chain_dir/chain-check.py" --ledger "$T/ledger.jsonl" \
    --stored sqlite="$T/stored-sqlite.jsonl" --stored postgres="$T/stored-postgres.jsonl" \
    --reader sqlite="$T/reader-sqlite.log" --reader postgres="$T/reader-postgres.log" \
    --usage "$T/usage.txt" --faults "$T/faults.log" --seconds "$CHAIN_SECONDS" \
    --kills "broker=${chain_kills[broker]},sub=${chain_kills[sub]},export_sqlite=${chain_kills[export_sqlite]},export_pg=${chain_kills[export_pg]}" \
    ${CHAIN_REPORT:+--report "$CHAIN_REPORT"} ${CHAIN_MAX_RSS_GROWTH_KIB:+--max-rss-growth "$CHAIN_MAX_RSS_GROWTH_KIB"}
}

# chain_wait_stored DB N NAME: until DB holds N readings (at most 90 s).
chain_wait_stored() {
  local db=$1 want=$2 name=$3 have=0 i
  for ((i = 0; i < 180; i++)); do
    have=$(iot-export query --db "$db" --kind reading 2>/dev/null | wc -l)
    ((have >= want)) && return 0
    sleep 0.5
  done
  fail "$name holds $have of $want readings after 90 s (export: $(tail -3 "$T/export-$name.err"))"
}
