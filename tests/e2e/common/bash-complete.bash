# bash bash-complete.bash WORD...: the completions bash-completion offers for the last WORD
# (give "" to complete a new word), one a line. The tool's completion is found the way an
# installed one is: bash-completion's loader, through $XDG_DATA_DIRS/bash-completion/completions.
source /usr/share/bash-completion/bash_completion
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_completion_loader "$1"
spec=$(complete -p "$1") || exit 1
fn=${spec##*-F }
fn=${fn%% *}
"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
