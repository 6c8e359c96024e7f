# Every tool has a man page (man/<tool>.1.scd) that documents every option its
# --help shows, for the tool and each subcommand, every subcommand, and the
# exit-status table; and scdoc builds it.
. "$IOT_SOURCE/tests/lib.sh"
need scdoc
shopt -s nullglob
for tool in "$IOT_BIN"/iot-*; do
  name=$(basename "$tool")
  page="$IOT_SOURCE/man/$name.1.scd"
  [[ -f $page ]] || fail "$name has no man page $page"
  scdoc <"$page" >"$T/$name.1" || fail "scdoc rejects $page"
  text=$(cat "$page")
  for opt in $(long_options_of "$tool"); do
    grep -qE "\*$opt\*" "$page" || fail "$page does not document $opt (shown by $name --help)"
  done
  for sub in $(subcommands_of "$tool"); do
    grep -qE "^\*\*?$sub\*|^\*$sub\*|\*$sub\* " "$page" || grep -q "$name $sub" "$page" || fail "$page does not document the command $sub"
    for opt in $(long_options_of "$tool" "$sub"); do
      grep -qE "\*$opt\*" "$page" || fail "$page does not document $opt (shown by $name $sub --help)"
    done
  done
  # The EXIT STATUS section is generated from docs/exit-codes.md (man/render-exit-status.sh).
  grep -A3 '^# EXIT STATUS' "$page" | grep -qx '%EXIT_STATUS%' || fail "$page: EXIT STATUS must hold the line %EXIT_STATUS%"
  man_text=$(MANWIDTH=200 man -l "$IOT_BUILD/man/man1/$name.1" 2>/dev/null) || fail "no built man page for $name"
  while IFS='|' read -r _ code cname _; do
    code=${code// /}; cname=$(tr -d '` ' <<<"$cname")
    [[ $code =~ ^[0-9]+$ ]] || continue
    grep -qE "^ +$code +$cname " <<<"$man_text" || fail "built $name.1 EXIT STATUS lacks $code $cname"
  done <"$IOT_SOURCE/docs/exit-codes.md"
done
[[ -f $IOT_SOURCE/man/iot.7.scd ]] || fail "man/iot.7.scd is missing"
scdoc <"$IOT_SOURCE/man/iot.7.scd" >/dev/null || fail "scdoc rejects man/iot.7.scd"
