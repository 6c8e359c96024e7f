# zsh -f zsh-complete.zsh FPATH_DIR LINE: types LINE and TAB into an interactive zsh (on a
# pseudo-terminal, zsh/zpty) whose compinit loads the completions in FPATH_DIR, and prints
# what zsh shows, escape sequences removed.
zmodload zsh/zpty
setopt extendedglob
zpty z zsh -f -i
zpty -w z "fpath=(${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "bindkey '^I' complete-word; PROMPT='>> '"
zpty -w z "print -- ---READY---"
zpty -r z junk '*---READY---*'
zpty -r -t z junk
zpty -w -n z "$2"$'\t'
sleep 2  # no marker to wait for: the listing is all zsh prints; a slow machine only makes it later
out=
for i in {1..20}; do
  while zpty -r -t z chunk; do out+=$chunk; done
  [[ -n $out ]] && break
  sleep 0.5
done
zpty -d z
print -r -- "${out//$'\e'\[[0-9;?]#[A-Za-z]/}" | tr -d '\r\a'
