#!/usr/bin/env bash
# Values from iot-sim over every transport it serves (TCP, RTU over TCP, UDP, RTU and
# ASCII on ptys): every type and order, scaling with zero and decimals.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
need jq
points() {
  local a=0 typ order
  for typ in u32 i32 f32 u64 i64 f64; do
    for order in ABCD CDAB BADC DCBA; do
      printf '[[port.device.point]]\nname = "%s_%s"\naddr = "hr:%s"\ntype = "%s"\norder = "%s"\ngenerator = { kind = "constant", value = %s }\n' \
        "$typ" "$order" "$a" "$typ" "$order" "$(case $typ in u*) echo 123456 ;; i*) echo -654321 ;; *) echo -2.25 ;; esac)"
      case $typ in *64) a=$((a + 4)) ;; *) a=$((a + 2)) ;; esac
    done
  done
  printf '[[port.device.point]]\nname = "i16"\naddr = "hr:%s"\ntype = "i16"\ngenerator = { kind = "constant", value = -7 }\n' "$a"
  printf '[[port.device.point]]\nname = "gas"\naddr = "hr:%s"\ndecimals = 1\nzero = 5\nuom = "%%LEL"\ngenerator = { kind = "constant", value = 12.5 }\n' "$((a + 1))"
  printf '[[port.device.point]]\nname = "relay"\naddr = "coil:3"\ngenerator = { kind = "constant", value = 1 }\n'
}
{
  printf '[site]\nname = "transports"\n[defaults]\ninterval = "100ms"\n'
  for spec in "tcp|tcp://127.0.0.1:$(free_port)" "rtutcp|rtu+tcp://127.0.0.1:$(free_port)" "udp|udp://127.0.0.1:$(free_port)" \
              "rtu|rtu:pty?baud=115200&parity=E" "ascii|ascii:pty?baud=115200&parity=E"; do
    printf '[[port]]\nname = "%s"\nurl = "%s"\n[[port.device]]\nname = "dev-%s"\nunit = 7\n' "${spec%%|*}" "${spec#*|}" "${spec%%|*}"
    points
  done
} >"$T/sim.toml"
start_sim sim "$T/sim.toml"
cp "$T/sim.toml" "$T/poll.toml"
for p in rtu ascii; do
  path=$(jq -r --arg p "$p" 'select(.kind=="ready") | .endpoints[] | select(.port==$p) | .path' "$T/sim.out")
  sed -i "s|^url = \"$p:pty|url = \"$p:$path|" "$T/poll.toml"
done
open_input poll
iot-poll run -c "$T/poll.toml" --count 2 --format jsonl <"$T/poll.in" >"$T/poll.jsonl" 2>"$T/poll.err" || fail "$(cat "$T/poll.err")"
validate_records "$T/poll.jsonl"
for p in tcp rtutcp udp rtu ascii; do
  got=$(jq -r --arg d "dev-$p" 'select(.kind=="reading" and .device==$d) | "\(.point)=\(.value):\(.quality)"' "$T/poll.jsonl" | sort -u | paste -sd' ')
  want=""
  for typ in u32 i32 f32 u64 i64 f64; do
    for order in ABCD CDAB BADC DCBA; do
      case $typ in u*) v=123456 ;; i*) v=-654321 ;; *) v=-2.25 ;; esac
      want+="${typ}_${order}=$v:ok "
    done
  done
  want+="i16=-7:ok gas=12.5:ok relay=true:ok"
  assert_eq "$got" "$(tr ' ' '\n' <<<"$want" | sort -u | paste -sd' ')" "values over $p"
done
jq_eq "$(jq -c 'select(.device=="dev-tcp" and .point=="gas")' "$T/poll.jsonl" | head -1)" '[.raw,.uom]' '[[130],"%LEL"]'
