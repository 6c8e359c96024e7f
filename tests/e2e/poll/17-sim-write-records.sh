#!/usr/bin/env bash
# Write records are valid JSON on one line whatever the user typed: the value is
# the number read (hr:0=0x10 gives 16), a string with a backslash, a line break or a
# quote is escaped. A broadcast write (unit 0) on a serial line is reported as sent
# and executed by every device. A serial line is opened exclusively: a second master is refused.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq
tcp=$(free_port)
{
  printf '[site]\nname = "writes"\n'
  for spec in "net|tcp://127.0.0.1:$tcp" "bus|rtu:pty?baud=115200&parity=E"; do
    printf '[[port]]\nname = "%s"\nurl = "%s"\n' "${spec%%|*}" "${spec#*|}"
    for u in 1 2; do
      printf '[[port.device]]\nname = "%s%s"\nunit = %s\n' "${spec%%|*}" "$u" "$u"
      printf '[[port.device.point]]\nname = "sp"\naddr = "hr:0"\n'
      printf '[[port.device.point]]\nname = "label"\naddr = "hr:10"\ntype = "string"\nlength = 8\n'
      printf '[[port.device.point]]\nname = "relay"\naddr = "coil:0"\n[[port.device.point]]\nname = "relay2"\naddr = "coil:1"\n'
    done
  done
} >"$T/sim.toml"
start_sim sim "$T/sim.toml"
path=$(jq -r 'select(.kind=="ready") | .endpoints[] | select(.port=="bus") | .path' "$T/sim.out")
[[ -e $path ]] || fail "no pty from iot-sim: $path"

iot-poll write "tcp://127.0.0.1:$tcp" -u 1 hr:0=0x10 hr:0=1e1 --format jsonl >"$T/w1.jsonl" 2>"$T/w1.err" || fail "$(cat "$T/w1.err")"
validate_records "$T/w1.jsonl"
assert_eq "$(jq -c '[.value, .raw, .ok]' "$T/w1.jsonl" | paste -sd' ')" '[16,[16],true] [10,[10],true]' "numbers as written"
iot-poll write "tcp://127.0.0.1:$tcp" -u 1 --type string hr:10=$'a\\b\ncd"' --format jsonl >"$T/w2.jsonl" 2>"$T/w2.err" || fail "$(cat "$T/w2.err")"
assert_eq "$(wc -l <"$T/w2.jsonl")" 1 "lines of a write with a line break in its value"
validate_records "$T/w2.jsonl"
assert_eq "$(jq -r .value "$T/w2.jsonl")" $'a\\b\ncd"' "string value (backslash, line break, quote)"
iot-poll write "tcp://127.0.0.1:$tcp" -u 1 coil:0=on,0 --format jsonl >"$T/w3.jsonl" 2>"$T/w3.err" || fail "$(cat "$T/w3.err")"
validate_records "$T/w3.jsonl"
assert_eq "$(jq -c .value "$T/w3.jsonl")" '[true,false]' "coil values"

# Broadcast: sent, not a timeout, and both devices on the line took it.
iot-poll write "rtu:$path" -u 0 hr:0=77 --timeout 300ms --format jsonl >"$T/b.jsonl" 2>"$T/b.err" || fail "broadcast: $(cat "$T/b.err")"
validate_records "$T/b.jsonl"
assert_eq "$(jq -c '[.unit, .ok, .quality, .value]' "$T/b.jsonl")" '[0,true,"sent",77]' "broadcast record"
for d in bus1 bus2; do wait_for_line "$T/sim.out" "\"kind\":\"write\".*\"device\":\"$d\"" 5; done
v=$(iot-poll read "rtu:$path" -u 2 hr:0 --format jsonl --no-stats | jq -r .value)
assert_eq "$v" 77 "unit 2 after the broadcast"

# Exclusive serial line: while one poller holds it, another is refused.
sed "s|rtu:pty|rtu:$path|" "$T/sim.toml" >"$T/poll.toml"
open_input poll
bg_in poll "$T/poll.in" iot-poll run -c "$T/poll.toml" --format jsonl
wait_for_line "$T/poll.out" '"port":"bus","unit":2' 10
if iot-poll read "rtu:$path" -u 1 hr:0 --format jsonl --no-stats >"$T/r.jsonl" 2>"$T/r.err"; then
  fail "a second master opened the line: $(cat "$T/r.jsonl")"
fi
assert_contains "$(cat "$T/r.err")" "in use" "second master's error"
# A site file naming the same device on two ports is refused with its position.
printf '[[port]]\nname = "x"\nurl = "rtu:%s"\n[[port]]\nname = "y"\nurl = "rtu:%s?baud=9600"\n' "$path" "$path" >"$T/twice.toml"
assert_status 3 iot-poll plan -c "$T/twice.toml"
assert_contains "$(iot-poll plan -c "$T/twice.toml" 2>&1)" "twice.toml:6:7: port[1].url: serial device $path is already used by port 'x'"
