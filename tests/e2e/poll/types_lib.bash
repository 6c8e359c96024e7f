# Shared by the pymodbus type tests: reads every typed value of pymodbus_server.py
# through TARGET and checks them, then scaling, strings, coils and input registers.
# check_all_types TARGET
check_all_types() {
  local target=$1 server=$IOT_SOURCE/tests/e2e/poll/pymodbus_server.py
  local expect out
  expect=$(/usr/bin/python3 "$server" --expect)
  out=$T/types.jsonl
  : >"$out"
  while read -r addr type order; do
    iot-poll read "$target" --no-stats -u 1 "hr:$addr" --type "$type" --order "$order" >>"$out"
  done < <(jq -r '.values[] | "\(.addr) \(.type) \(.order)"' <<<"$expect")
  validate_records "$out"
  /usr/bin/python3 "$IOT_SOURCE/tests/e2e/poll/check_values.py" "$expect" <"$out" || fail "typed values over $target"

  local scaled string_addr
  scaled=$(jq .scaled_addr <<<"$expect")
  string_addr=$(jq .string_addr <<<"$expect")
  jq_eq "$(iot-poll read "$target" --no-stats "hr:$scaled" --decimals 1)" .value 25
  jq_eq "$(iot-poll read "$target" --no-stats "hr:$scaled" --zero 50 --scale 0.5 --uom kW)" '[.value,.uom,.raw]' '[100,"kW",[250]]'
  jq_eq "$(iot-poll read "$target" --no-stats "hr:$string_addr" --type string --length 6)" .value '"HELLO!"'
  jq_eq "$(iot-poll read "$target" --no-stats coil:0:8 | jq -s -c 'map(.value)')" . '[true,false,true,true,false,false,false,true]'
  jq_eq "$(iot-poll read "$target" --no-stats -u 2 ir:0:4 30001 | jq -s -c 'map([.device,.point,.value])')" . \
    '[["unit2","ir:0",10],["unit2","ir:0",10],["unit2","ir:1",20],["unit2","ir:2",30],["unit2","ir:3",40]]'
  jq_eq "$(iot-poll read "$target" --no-stats di:0:4 | jq -s -c 'map(.value)')" . '[true,true,false,false]'
}

# start_pymodbus NAME KIND ARG...: starts the server and waits until it answers.
start_pymodbus() {
  local name=$1; shift
  bg "$name" /usr/bin/python3 "$IOT_SOURCE/tests/e2e/poll/pymodbus_server.py" "$@"
  wait_for_line "$T/$name.out" '^ready' 10
}

need_pymodbus() {
  /usr/bin/python3 -c 'import pymodbus' 2>/dev/null || missing_peer "python3-pymodbus is not installed"
}
