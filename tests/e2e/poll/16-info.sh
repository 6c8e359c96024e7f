#!/usr/bin/env bash
# iot-poll info: Read Device Identification (FC 2B/0E: basic, regular and extended objects,
# across answers) and Report Server ID (FC 11), one device_info record per unit, against
# iot-sim (quick mode and a site) and pymodbus (ModbusDeviceIdentification with extended
# objects). A unit that does not answer: no objects, an error, exit status 5.
. "$IOT_SOURCE/tests/lib.sh"
. "$IOT_SOURCE/tests/e2e/poll/sim_lib.bash"
. "$IOT_SOURCE/tests/e2e/poll/types_lib.bash"
need jq
need_pymodbus

# iot-sim: its objects 0x00-0x06 (vendor iot, model, version, url, product iot-sim, model,
# device name) and a server id of unit, run indicator and device name.
port=$(free_port)
cat >"$T/site.toml" <<TOML
[[port]]
name = "gw"
url = "tcp://127.0.0.1:$port"
[[port.device]]
name = "boiler-ctrl"
unit = 3
[[port.device.point]]
name = "x"
addr = "hr:0"
TOML
start_sim sim "$T/site.toml"
iot-poll info "tcp://127.0.0.1:$port" -u 3 >"$T/sim-info.jsonl"
validate_records "$T/sim-info.jsonl"
jq_eq "$(cat "$T/sim-info.jsonl")" \
  '[.kind,.unit,.vendor_name,.product_name,.user_application_name,.objects["0x00"],(.objects|keys|length),.server_id,.run_indicator,.server_id_text]' \
  '["device_info",3,"iot","iot-sim","boiler-ctrl","iot",7,"03ff626f696c65722d6374726c",true,"boiler-ctrl"]'
jq_eq "$(cat "$T/sim-info.jsonl")" '.conformity' 130
# A unit nobody has (the simulator does not answer it on TCP by default): exit 5.
assert_status 5 iot-poll info "tcp://127.0.0.1:$port" -u 9 --timeout 200ms
jq_eq "$(iot-poll info "tcp://127.0.0.1:$port" -u 9 --timeout 200ms || true)" \
  '[.unit,.objects,.device_id_error,.server_id_error]' '[9,null,"no answer within 200 ms","no answer within 200 ms"]'
# Two units: a record each; the exit status is 0 when any answered.
assert_eq "$(iot-poll info "tcp://127.0.0.1:$port" -u 3,9 --timeout 200ms | jq -c '[.unit, .objects != null]' | paste -sd' ' -)" \
  '[3,true] [9,false]' "two units"

# pymodbus: basic, regular and extended objects (conformity 0x83), and its server id.
pport=$(free_port)
start_pymodbus pm tcp "$pport"
pt="tcp://127.0.0.1:$pport"
for _ in $(seq 50); do iot-poll read "$pt" hr:0 --no-stats >/dev/null 2>&1 && break; sleep 0.1; done
iot-poll info "$pt" -u 1 >"$T/pm-info.jsonl" || fail "info against pymodbus: exit $?"
validate_records "$T/pm-info.jsonl"
want=$(/usr/bin/python3 -c '
import json, sys
sys.path.insert(0, sys.argv[1])
from pymodbus_server import IDENTITY
print(json.dumps({"0x%02x" % k: v for k, v in IDENTITY.items()}, sort_keys=True, separators=(",", ":")))' \
  "$IOT_SOURCE/tests/e2e/poll")
assert_eq "$(jq -c '.objects | with_entries(select(.value != ""))' -S "$T/pm-info.jsonl")" "$want" "pymodbus objects"
jq_eq "$(cat "$T/pm-info.jsonl")" '[.conformity,.vendor_name,.revision,.model_name]' '[131,"PyModbusVendor","3.0","E2E-1"]'
jq_eq "$(cat "$T/pm-info.jsonl")" '[(.server_id|length > 0), .server_id_error]' '[true,null]'
