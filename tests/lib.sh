# Shared helpers for end-to-end tests (tests/e2e/<tool>/*.sh). Source it first:
#   . "$IOT_SOURCE/tests/lib.sh"
# It puts the built tools on PATH, gives each test a scratch directory and an
# isolated HOME, and stops every process the test started (by PID) on exit.
set -euo pipefail
: "${IOT_SOURCE:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${IOT_BIN:=$IOT_SOURCE/build/bin}"
export PATH="$IOT_BIN:$PATH"
export NO_COLOR=1
T=$(mktemp -d "${TMPDIR:-/tmp}/iot-test.XXXXXX")
export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config"
mkdir -p "$HOME"
_iot_pids=()

_iot_cleanup() {
  local pid
  for pid in "${_iot_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${_iot_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -z ${IOT_KEEP_TMP:-} ]]; then rm -rf "$T"; else echo "kept $T" >&2; fi
}
trap _iot_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# A missing peer is a failure, never a skip: a green suite means every peer ran.
# scripts/setup installs them all.
missing_peer() { fail "missing peer: $* (scripts/setup installs it)"; }
need() { local c; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing_peer "$c is not installed"; done; }

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() { [[ "$1" == "$2" ]] || fail "${3:-value}: expected <$2>, got <$1>"; }
# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() { [[ "$1" == *"$2"* ]] || fail "${3:-output} does not contain <$2>: <$1>"; }
# assert_status EXPECTED CMD...  (runs CMD, compares its exit status)
assert_status() {
  local want=$1 got=0; shift
  "$@" || got=$?
  [[ $got == "$want" ]] || fail "exit status of '$*': expected $want, got $got"
}
# jq_eq JSON FILTER EXPECTED: one jq expression over a JSON text
jq_eq() { assert_eq "$(jq -c "$2" <<<"$1")" "$3" "jq '$2'"; }

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
}

# bg NAME CMD...: start CMD in the background with stdout in $T/NAME.out and
# stderr in $T/NAME.err; its PID goes to the variable NAME_pid and is stopped at exit.
bg() {
  local name=$1; shift
  "$@" >"$T/$name.out" 2>"$T/$name.err" &
  local pid=$!
  _iot_pids+=("$pid")
  printf -v "${name//-/_}_pid" '%s' "$pid"
}

# wait_for_line FILE PATTERN [SECONDS]: until a line of FILE matches the grep -E PATTERN.
wait_for_line() {
  local file=$1 pattern=$2 limit=${3:-10} i
  for ((i = 0; i < limit * 20; i++)); do
    grep -Eq -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "no line matching <$pattern> in $file after ${limit}s: $(tail -5 "$file" 2>/dev/null)"
}

# validate_records FILE: every line conforms to docs/record.schema.json.
validate_records() {
  /usr/bin/python3 - "$1" "$IOT_SOURCE/docs/record.schema.json" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[2]))
validator = jsonschema.Draft202012Validator(schema)
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    record = json.loads(line)
    errors = list(validator.iter_errors(record))
    if errors:
        sys.exit(f"{sys.argv[1]}:{n}: {errors[0].message}: {line.strip()}")
PY
}

# subcommands_of TOOL [SUB]: the subcommands its --help lists.
subcommands_of() {
  "$@" --help | awk '/^Subcommands:/{s=1;next} s&&/^[^ ]/{s=0} s&&NF{print $1}'
}
# long_options_of TOOL [SUB]: the long options its --help lists (hidden ones are not listed).
long_options_of() {
  "$@" --help | grep -oE '(^|[ ,])--[a-z0-9][a-z0-9-]*' | sed -E 's/^[ ,]//' | sort -u
}
