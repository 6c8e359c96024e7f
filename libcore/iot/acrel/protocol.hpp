#pragma once
// The Acrel cloud "acrelHW" MQTT/JSON protocol (ADW300-4G meters, Acrel
// gateways): topics, payload builders for simulated meters, the platform's
// replies, and a decoder from `mqtt` records to `reading` and `status` records.
// Source notes: docs of the research in shared/reference/acrel-mqtt-json.md;
// what that file tags [UNCERTAIN] or what is invented here is marked so below.
#include <simdjson.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "iot/core/time.hpp"
#include "iot/mqtt/sub.hpp"
#include "iot/record/output.hpp"

namespace iot::acrel {

// /{sender}/acrelHW/{product}/{cmd}/{SN}; sender "gw" (device → platform) or
// "server" (platform → device). The form without the leading slash, seen from
// one 2025 subscriber, is accepted too [UNCERTAIN which one devices use].
struct Topic {
  std::string sender;
  std::string product;
  std::string cmd;
  std::string sn;
  bool leading_slash = true;
};
std::optional<Topic> parse_topic(std::string_view topic);
std::string topic(std::string_view sender, std::string_view product, std::string_view cmd, std::string_view sn,
                  bool leading_slash = true);

// "yyyyMMddHHmmss". The protocol sends the device's local clock; this toolkit
// writes and reads it as UTC [INF: the time zone is not in the message].
std::string format_time(TimePoint t);
std::optional<TimePoint> parse_time(std::string_view text);

// Payload builders (field order as in the vendor examples).
std::string login_payload(std::string_view sn, TimePoint t, int ver = 1011, int rssi = 80);
std::string para_payload(std::string_view gw_sn, std::string_view meter_sn, std::string_view meter_name, TimePoint t,
                         int up_interval_minutes);
std::string heart_payload(std::string_view sn, TimePoint t);
// `values`: measurement key ("ua", "ia", "p", "wh" …) → value.
std::string data_payload(std::string_view gw_sn, std::string_view meter_sn, std::string_view meter_name, TimePoint t,
                         bool missing, const std::vector<std::pair<std::string, double>>& values);
// The 2025 point-id list: {"data":[{"tp":ms,"point":[{"id":0,"val":"SN"},{"id":1,"val":…}…]}]}.
std::string point_list_payload(std::string_view sn, TimePoint t, const std::vector<std::pair<int, double>>& points);
// The platform's reply: {"type":"login","res":1}.
std::string reply_payload(std::string_view type, int res = 1);

// The measurement keys of `data` messages with their units (V, A, kW, kvar,
// kWh, kvarh, Hz; "" for ratios and power factors).
const std::vector<std::pair<std::string_view, std::string_view>>& data_keys();
std::optional<std::string_view> data_key_uom(std::string_view key);
// Decimal places a key is sent with (the resolution seen in the S4 capture,
// reference §3.5): V 1, A 2, kW/kvar/pf 3, Hz 2, kWh/kvarh 2, pt/ct 0.
int data_key_decimals(std::string_view key);
// The `data` key a site-file point publishes as: its own name when that is a
// data key, else the key of the same quantity in the ADW300 Modbus catalog
// (examples/models/adw300.toml: freq → hz, ep_import → wh, ep_export → wl,
// eq_import → varh, eq_export → varl, pt_ratio → pt, ct_ratio → ct; the energy
// mappings inherit the [UNCERTAIN] meaning of wh/wl/varh/varl). nullopt: none.
std::optional<std::string_view> data_key_of_point(std::string_view point_name);
// The point-id table: id → {point name, uom}. Names are invented here (the
// source gives Chinese descriptions only), chosen to match the `data` keys.
struct PointId {
  int id;
  std::string_view name;
  std::string_view uom;
};
const std::vector<PointId>& point_ids();

// Decodes one `mqtt` record carrying an acrelHW payload into records written
// to `out`: data → one `reading` per measurement (device = meterSN, point =
// key, uom); data with meterStatus "missing" → `status` state "missing";
// login → `status` state "login"; point-id list → readings. para and heart
// carry no measurements and give nothing. Returns the number of records
// written; 0 with `error` set when the record is not an Acrel message.
std::size_t decode(simdjson::dom::object mqtt_record, LineSink& out, std::string& error);

// The platform side for `iot-mqtt-bridge sub --answer acrel`: a login, para or
// heart (or alarm, time) from a device, that is not itself a reply, gets
// {"type":…,"res":1} on /server/acrelHW/{product}/{cmd}/{SN}. (That heart is
// answered is [UNCERTAIN]; devices must tolerate the reply either way.)
void answer(std::string_view topic, std::string_view payload, std::vector<iot::mqtt::Reply>& out);

}  // namespace iot::acrel

#include "iot/core/exit_code.hpp"
#include "iot/record/line_reader.hpp"

namespace iot::acrel {
// `iot-decode acrel`: reads `mqtt` records and writes what decode() gives.
// Lines that are not JSON or not Acrel messages are warned about ("line N:
// …") and skipped; the result is then bad_input.
ExitCode run_decode(LineReader& in, LineSink& out);
}  // namespace iot::acrel
