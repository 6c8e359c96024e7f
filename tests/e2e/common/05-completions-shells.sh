# The completions in the real shells, installed the way the package installs them: bash
# through bash-completion's loader, zsh through compinit (typed on a pseudo-terminal).
# bash goes on after a flag, --type and --order complete their values, both shells complete
# subcommands, and zsh's specs mark flags that take no value.
. "$IOT_SOURCE/tests/lib.sh"
need zsh
[[ -f /usr/share/bash-completion/bash_completion ]] || missing_peer "bash-completion is not installed"
share=$T/share
mkdir -p "$share/bash-completion/completions" "$share/zsh"
for f in "$IOT_SOURCE"/completions/*.bash; do
  n=$(basename "$f" .bash)
  cp "$f" "$share/bash-completion/completions/$n"
  cp "${f%.bash}.zsh" "$share/zsh/_$n"
done
bashc() { XDG_DATA_DIRS=$share bash "$IOT_SOURCE/tests/e2e/common/bash-complete.bash" "$@" | sort | tr '\n' ' '; }
zshc() { zsh -f "$IOT_SOURCE/tests/e2e/common/zsh-complete.zsh" "$share/zsh" "$1"; }

got=$(bashc iot-poll r)
assert_eq "$got" "read run " "bash: iot-poll r<TAB>"
got=$(bashc iot-poll run --allow-write --c)
assert_eq "$got" "--color --config --count " "bash: iot-poll run --allow-write --c<TAB>"
got=$(bashc iot-poll run -c site.toml --no-stats --exit-on-eof --d)
assert_eq "$got" "--duration " "bash: after two flags and a value"
got=$(bashc iot-poll read tcp://127.0.0.1 hr:0 --type f)
assert_eq "$got" "f16 f32 f64 " "bash: --type values"
got=$(bashc iot-poll write --order "")
assert_eq "$got" "ABCD BADC CDAB DCBA " "bash: --order values"
got=$(bashc iot-decode regs -o C)
assert_eq "$got" "CDAB " "bash: iot-decode regs -o values"

out=$(zshc 'iot-poll r')
assert_contains "$out" "read  -- Read registers" "zsh: iot-poll r<TAB>"
assert_contains "$out" "run   -- Poll every enabled point" "zsh: iot-poll r<TAB>"
out=$(zshc 'iot-poll run --allow-write --con')
assert_contains "$out" "--config  -- Site file" "zsh: a flag takes no value, the next option completes"
# A flag's spec has no value part; an option's has one.
grep -qF -- "'--allow-write[Accept write commands on stdin]' \\" "$share/zsh/_iot-poll" ||
  fail "zsh: --allow-write is not marked as a flag: $(grep -F -- "'--allow-write" "$share/zsh/_iot-poll")"
grep -qE -- "'--config\[[^]]*\]:file:_files'" "$share/zsh/_iot-poll" || fail "zsh: --config takes no file"
echo "bash and zsh complete as installed"
