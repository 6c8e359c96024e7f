# Every tool answers --help and --version on stdout with status 0, every
# subcommand answers --help, and an unknown option is a usage error (status 2)
# with a message on stderr only.
. "$IOT_SOURCE/tests/lib.sh"
shopt -s nullglob
tools=("$IOT_BIN"/iot-*)
((${#tools[@]})) || fail "no tools in $IOT_BIN"
for tool in "${tools[@]}"; do
  name=$(basename "$tool")
  out=$("$tool" --help) || fail "$name --help failed"
  assert_contains "$out" "Usage:" "$name --help"
  assert_contains "$("$tool" --version)" "$name " "$name --version"
  for sub in $(subcommands_of "$tool"); do
    "$tool" "$sub" --help >/dev/null || fail "$name $sub --help failed"
  done
  err=$("$tool" --no-such-option 2>&1 >/dev/null) && fail "$name accepted --no-such-option"
  assert_status 2 "$tool" --no-such-option 2>/dev/null
  assert_contains "$err" "$name: error:" "$name stderr"
  [[ -z $("$tool" --no-such-option 2>/dev/null) ]] || fail "$name printed a usage error on stdout"
done
