# Completions are generated from the CLI11 tree: the committed files equal what
# the tools generate now (drift test), the bash script loads and completes
# subcommands, options and option values, and zsh/fish parse theirs.
. "$IOT_SOURCE/tests/lib.sh"
shopt -s nullglob
for tool in "$IOT_BIN"/iot-*; do
  name=$(basename "$tool")
  for shell in bash zsh fish; do
    committed="$IOT_SOURCE/completions/$name.$shell"
    [[ -f $committed ]] || fail "missing $committed (run scripts/gen-completions)"
    "$tool" --completions "$shell" >"$T/$name.$shell"
    diff -u "$committed" "$T/$name.$shell" >&2 || fail "$committed is stale: run scripts/gen-completions"
  done
  # bash: load the script and ask it to complete.
  reply=$(bash -c '
    source "$1"; fn=$(complete -p "$2" | sed -E "s/.*-F ([^ ]+) .*/\1/")
    COMP_WORDS=("$2" "--"); COMP_CWORD=1; $fn; printf "%s\n" "${COMPREPLY[@]}"' _ "$T/$name.bash" "$name")
  assert_contains "$reply" "--help" "bash completion of '$name --'"
  assert_contains "$reply" "--version" "bash completion of '$name --'"
  reply=$(bash -c 'source "$1"; fn=$(complete -p "$2" | sed -E "s/.*-F ([^ ]+) .*/\1/")
    COMP_WORDS=("$2" "--color" ""); COMP_CWORD=2; $fn; printf "%s " "${COMPREPLY[@]}"' _ "$T/$name.bash" "$name")
  assert_eq "$reply" "auto always never " "bash completion of '$name --color '"
  subs=$(subcommands_of "$tool")
  if [[ -n $subs ]]; then
    reply=$(bash -c 'source "$1"; fn=$(complete -p "$2" | sed -E "s/.*-F ([^ ]+) .*/\1/")
      COMP_WORDS=("$2" ""); COMP_CWORD=1; $fn; printf "%s\n" "${COMPREPLY[@]}"' _ "$T/$name.bash" "$name")
    for sub in $subs; do assert_contains "$reply" "$sub" "bash completion of '$name '"; done
  fi
  if command -v zsh >/dev/null; then zsh -n "$T/$name.zsh" || fail "zsh cannot parse $name.zsh"; fi
  if command -v fish >/dev/null; then fish --no-execute "$T/$name.fish" || fail "fish cannot parse $name.fish"; fi
done
