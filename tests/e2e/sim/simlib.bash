# Helpers for the iot-sim end-to-end tests (sourced after tests/lib.sh).
SIM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RAW="/usr/bin/python3 $SIM_DIR/rawclient.py"

# start_sim NAME ARGS...: starts iot-sim ARGS in the background (stdout in
# $T/NAME.out), waits for its ready line. Commands can be sent with sim_cmd
# NAME '{"cmd":...}' (stdin is a fifo held open by the test).
start_sim() {
  local name=$1; shift
  mkfifo "$T/$name.cmd"
  exec {fd}<>"$T/$name.cmd"
  printf -v "${name}_cmdfd" '%s' "$fd"
  # Not lib.sh's bg: an asynchronous command without its own redirection reads /dev/null.
  iot-sim "$@" <&"$fd" >"$T/$name.out" 2>"$T/$name.err" &
  _iot_pids+=("$!")
  printf -v "${name//-/_}_pid" '%s' "$!"
  # Generous: under a sanitizer on a busy machine the start can take seconds.
  wait_for_line "$T/$name.out" '"kind":"ready"' 30
}
sim_cmd() {
  local fdvar="${1}_cmdfd"
  printf '%s\n' "$2" >&"${!fdvar}"
}
# endpoint NAME PORT: the url of a port from the ready line ("tcp://127.0.0.1:40123", "rtu:/dev/pts/3")
endpoint() { grep '"kind":"ready"' "$T/$1.out" | jq -r --arg p "$2" '.endpoints[] | select(.port == $p) | .url'; }
# hostport URL: "127.0.0.1:40123"
hostport() { local u=${1#*://}; echo "$u"; }
port_of() { echo "${1##*:}"; }
path_of() { echo "${1#*:}"; }
# wait_count FILE PATTERN N: until N lines match
wait_count() {
  local i
  for ((i = 0; i < 200; i++)); do
    [[ $(grep -Ec -- "$2" "$1" || true) -ge $3 ]] && return 0
    sleep 0.05
  done
  fail "fewer than $3 lines matching <$2> in $1"
}
