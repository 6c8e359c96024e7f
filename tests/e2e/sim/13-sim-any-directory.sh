#!/usr/bin/env bash
# The built-in catalog works from any directory, and the catalog's search order holds:
# iot-sim quick mode run from / finds FC1003-8; an unknown model is an error about --model
# (not about a made-up file); a models/ folder above the site file's folder is never read;
# one beside it is; --models DIR and $IOT_MODELS come first.
. "$IOT_SOURCE/tests/lib.sh"
need jq
(cd / && timeout 30 iot-sim tcp://127.0.0.1:0 --units 1-3 --model FC1003-8 --duration 1s </dev/null >"$T/q.out" 2>"$T/q.err") ||
  fail "quick mode from /: $(cat "$T/q.err")"
jq_eq "$(grep '"kind":"ready"' "$T/q.out")" '.kind' '"ready"'

rc=0
(cd / && iot-sim tcp://127.0.0.1:0 --model FC1003-9 --duration 1s </dev/null >/dev/null 2>"$T/bad.err") || rc=$?
assert_eq "$rc" 2 "exit status for an unknown --model"
assert_contains "$(cat "$T/bad.err")" "--model: unknown model 'FC1003-9'"
assert_contains "$(cat "$T/bad.err")" "FC1003-8"
grep -q "quick.toml" "$T/bad.err" && fail "the error names a made-up file: $(cat "$T/bad.err")"

# A catalog planted one level above the site's folder is not read.
mkdir -p "$T/up/models" "$T/up/site" "$T/beside/models" "$T/mine"
printf '[[model]]\nname = "PLANTED"\n[[model.point]]\nname = "x"\naddr = "hr:0"\n' >"$T/up/models/planted.toml"
printf '[[port]]\nurl = "tcp://127.0.0.1:0"\n[[port.device]]\nname = "d"\nunit = 1\nmodel = "PLANTED"\n' >"$T/up/site/site.toml"
rc=0
(cd / && iot-sim run -c "$T/up/site/site.toml" --duration 1s </dev/null >/dev/null 2>"$T/planted.err") || rc=$?
assert_eq "$rc" 3 "a model only in a parent folder's models/ is unknown"
assert_contains "$(cat "$T/planted.err")" "unknown model 'PLANTED'"
# Beside the site file, it is.
cp "$T/up/models/planted.toml" "$T/beside/models/"
cp "$T/up/site/site.toml" "$T/beside/site.toml"
(cd / && timeout 30 iot-sim run -c "$T/beside/site.toml" --duration 1s </dev/null >"$T/beside.out" 2>"$T/beside.err") ||
  fail "models/ beside the site file: $(cat "$T/beside.err")"
grep -q '"kind":"ready"' "$T/beside.out" || fail "no ready line with models/ beside the site"
# --models DIR and $IOT_MODELS reach the same model from anywhere.
cp "$T/up/models/planted.toml" "$T/mine/"
(cd / && timeout 30 iot-sim tcp://127.0.0.1:0 --model PLANTED --models "$T/mine" --duration 1s </dev/null >"$T/m.out" 2>"$T/m.err") ||
  fail "--models DIR: $(cat "$T/m.err")"
(cd / && IOT_MODELS=$T/mine timeout 30 iot-sim tcp://127.0.0.1:0 --model PLANTED --duration 1s </dev/null >"$T/e.out" 2>"$T/e.err") ||
  fail "\$IOT_MODELS: $(cat "$T/e.err")"
# $XDG_DATA_HOME/iot/models too.
mkdir -p "$T/xdg/iot/models" && cp "$T/up/models/planted.toml" "$T/xdg/iot/models/"
(cd / && XDG_DATA_HOME=$T/xdg timeout 30 iot-sim tcp://127.0.0.1:0 --model PLANTED --duration 1s </dev/null >"$T/x.out" 2>"$T/x.err") ||
  fail "\$XDG_DATA_HOME/iot/models: $(cat "$T/x.err")"
echo "catalog found from /; unknown model names --model; parents never searched"
