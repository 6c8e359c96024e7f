# Helpers for the iot-poll tests against iot-sim.
# start_sim NAME SITE [ARGS...]: starts iot-sim on SITE with a command fifo on its
# stdin ($T/NAME.cmd; write JSON command lines to it) and waits for its ready record.
start_sim() {
  local name=$1 site=$2; shift 2
  mkfifo "$T/$name.cmd"
  exec {_sim_fd}<>"$T/$name.cmd"  # a writer first, so opening the fifo to read does not block
  bg_in "$name" "$T/$name.cmd" iot-sim run -c "$site" "$@"
  wait_for_line "$T/$name.out" '"kind":"ready"' 15
}
# sim_cmd NAME JSON: sends one command and waits for its ack.
sim_cmd() {
  local name=$1 json=$2 before
  before=$(grep -c '"kind":"ack"' "$T/$name.out" || true)
  echo "$json" >"$T/$name.cmd"
  for _ in $(seq 100); do
    (( $(grep -c '"kind":"ack"' "$T/$name.out" || true) > before )) && return 0
    sleep 0.05
  done
  fail "no ack from $name for $json"
}
# open_input NAME: a fifo $T/NAME.in kept open for writing (on fd $NAME_fd), so a
# process reading it as stdin sees no end of input until close_input NAME.
open_input() {
  mkfifo "$T/$1.in"
  exec {_fd}<>"$T/$1.in"
  printf -v "${1}_fd" '%s' "$_fd"
  _input_fds+=("$_fd")
}
_input_fds=()
# has_record FILE FILTER: some record of FILE matches the jq FILTER (a select).
# (jq 1.6's -e looks at the last input only, so count the matches instead.)
has_record() { [[ -n $(jq -c "$2" "$1" | head -1) ]]; }
# bg_in NAME INPUT CMD...: as bg (tests/lib.sh), with stdin from INPUT (bash gives a
# background command /dev/null as stdin unless it is redirected on that command).
bg_in() {
  local name=$1 input=$2; shift 2
  # The child must not hold the write ends of the input fifos, or it never sees EOF.
  (for fd in "${_input_fds[@]}" "${_sim_fd:-}"; do [[ -n $fd ]] && eval "exec $fd>&-"; done; exec "$@") \
    <"$input" >"$T/$name.out" 2>"$T/$name.err" &
  local pid=$!
  _iot_pids+=("$pid")
  printf -v "${name//-/_}_pid" '%s' "$pid"
}
