# Man pages as a reader meets them: every page named in a SEE ALSO section exists (the
# project's pages among the built ones, the others where man finds them: scripts/setup
# installs those tools), no page points at docs/*.md paths that only exist in the source
# tree, multi-line examples keep their lines, and URLs holding & are quoted in examples.
. "$IOT_SOURCE/tests/lib.sh"
need man scdoc
export MANPATH="$IOT_BUILD/man:"
for page in "$IOT_SOURCE"/man/*.scd; do
  name=$(basename "$page" .scd)
  refs=$(awk '/^# SEE ALSO/{s=1;next} s&&/^# /{s=0} s' "$page" | grep -oE '\*[a-z0-9_.-]+\*\([0-9]\)' | tr -d '*')
  [[ -n $refs ]] || fail "$name: no SEE ALSO references"
  for ref in $refs; do
    sec=${ref##*(}; sec=${sec%)}; ref=${ref%(*}
    man -w "$sec" "$ref" >/dev/null 2>&1 || fail "$name: SEE ALSO names $ref($sec), which man cannot find"
  done
  grep -n 'docs/[a-z-]*\.md\|docs/record' "$page" | grep -v 'in the sources' && fail "$name points at the source tree's docs/"
  # Example lines with a URL holding & are quoted.
  awk '/^# EXAMPLES/{s=1;next} s&&/^# /{s=0} s' "$page" | grep -E '[a-z]+:[^ ]*\?[^ ]*&' | grep -vE "'[^']*&[^']*'" &&
    fail "$name: an example URL with & is not quoted"
done
# iot-sim(1): the lines of a multi-line example stay lines in the rendered page.
text=$(MANWIDTH=100 man -l "$IOT_BUILD/man/man1/iot-sim.1" 2>/dev/null)
grep -qE '^ +mbpoll -m rtu' <<<"$text" || fail "iot-sim(1): the mbpoll line of an example was joined to the line before"
grep -qE "^ +exec 3>cmd$" <<<"$text" || fail "iot-sim(1): 'exec 3>cmd' is not a line of its own"
echo "SEE ALSO pages found; examples keep their lines"
