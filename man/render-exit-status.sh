#!/bin/sh
# Prints a man page source with its "%EXIT_STATUS%" line replaced by the exit
# status table of docs/exit-codes.md (which a unit test keeps equal to
# libcore/iot/core/exit_code.hpp), so every page shows the same table.
# Usage: render-exit-status.sh PAGE.scd EXIT_CODES.md
awk -v table="$2" '
  $0 == "%EXIT_STATUS%" {
    print "|[ *status*"
    print ":[ *name*"
    print ":[ *meaning*"
    while ((getline line < table) > 0) {
      n = split(line, f, "|")
      if (n < 5) continue
      code = f[2]; gsub(/ /, "", code)
      if (code !~ /^[0-9]+$/) continue
      name = f[3]; gsub(/[ `]/, "", name)
      meaning = f[4]; sub(/^ +/, "", meaning); sub(/ +$/, "", meaning)
      for (i = 5; i < n; i++) meaning = meaning "|" f[i]
      gsub(/`/, "", meaning)
      print "|  " code
      print ":  " name
      print ":  " meaning
    }
    next
  }
  { print }
' "$1"
