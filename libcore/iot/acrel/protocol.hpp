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
#include "iot/mqtt/message.hpp"
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

// Keys of acrelHW messages whose spelling is also that of a record field: named
// here so that no record field name is written as a key outside libcore/iot/record.
namespace json_key {
inline constexpr std::string_view type = "type";   // message type: login, para, heart, data …
inline constexpr std::string_view data = "data";   // the 2025 point-id list's blocks
inline constexpr std::string_view point = "point"; // a block's points
inline constexpr std::string_view id = "id";       // a point's id
} // namespace json_key

// Payload builders (field order as in the vendor examples).
std::string login_payload(std::string_view sn, TimePoint t, int ver = 1011, int rssi = 80);
std::string para_payload(std::string_view gw_sn, std::string_view meter_sn, std::string_view meter_name, TimePoint t,
                         int up_interval_minutes);
std::string heart_payload(std::string_view sn, TimePoint t);
// `values`: measurement key ("ua", "ia", "p", "wh" …) → value.
std::string data_payload(std::string_view gw_sn, std::string_view meter_sn, std::string_view meter_name, TimePoint t,
                         bool missing, const std::vector<std::pair<std::string, double>>& values);
// The 2025 point-id list: {"data":[{"tp":ms,"point":[{"id":0,"val":"SN"},{"id":1,"val":…}…]}]}.
// `iccid` (id 33, a string) is added when not empty: the meter sends it once after power-up (§5).
std::string point_list_payload(std::string_view sn, TimePoint t, const std::vector<std::pair<int, double>>& points,
                               std::string_view iccid = {});
// The time-sync request (§3.2, newer firmware): {"country":…,"utc":"0","time":…,"gwSN":…,"type":"time"}.
// This toolkit's device clocks are UTC, so "utc" is "0"; the cut-off "timezone" field is left out.
std::string time_payload(std::string_view sn, TimePoint t);
// [INVENTED] The alarm message (its layout was not retrieved, §3.6): the common
// fields plus the ADW300 alarm status words (§6.3) as "alarm1".."alarm3".
std::string alarm_payload(std::string_view sn, std::string_view meter_name, TimePoint t,
                          const std::vector<std::pair<std::string, double>>& words);
// The platform's reply: {"type":"login","res":1}.
std::string reply_payload(std::string_view type, int res = 1);

// Every quantity the ADW300 sends: its point id (reference §5), its key in the
// type-keyed `data` message (the S4 keys where traffic showed one, else the
// same name, [INVENTED]), unit and decimals, and the simulator's default value.
struct Quantity {
  int id;
  std::string_view key;
  std::string_view uom;
  int decimals;
  double sim_base; // default value: sim_base + n × sim_step, n = the SN's last two digits
  double sim_step;
};
const std::vector<Quantity>& quantities();
const Quantity* find_quantity(std::string_view key);
// Point ids of the strings: the serial number and the SIM card's ICCID (§5).
constexpr int k_point_id_sn = 0;
constexpr int k_point_id_iccid = 33;
constexpr int k_point_id_di = 41; // bit0..bit3 = DI1..DI4
// "di1".."di4": one DI each (the "di" word split into its bits).
bool is_di_key(std::string_view key);
// The keys of the alarm status words ("alarm1".."alarm3"), sent in `alarm`, not in `data`.
const std::vector<std::string_view>& alarm_keys();
std::optional<int> point_id_of(std::string_view key);

// The measurement keys of `data` messages with their units (quantities() in order).
const std::vector<std::pair<std::string_view, std::string_view>>& data_keys();
std::optional<std::string_view> data_key_uom(std::string_view key);
// Decimal places a key is sent with (the resolution seen in the S4 capture,
// reference §3.5, else the ADW300 register's): V 1, A 2, kW/kvar/pf 3, Hz 2, kWh/kvarh 2, pt/ct 0.
int data_key_decimals(std::string_view key);
// The key a site-file point publishes as: its own name when that is a key (a
// quantity, di1..di4, alarm1..alarm3), else the key of the same quantity in the
// ADW300 Modbus catalog (examples/models/adw300.toml: freq → hz, ep_import → wh,
// temp_a → ta, thd_ua → thdua, ep_total_sharp → wh_sharp, alarm1_status → alarm1 …;
// the energy mappings inherit the [UNCERTAIN] meaning of wh/wl/varh/varl). nullopt: none.
std::optional<std::string_view> data_key_of_point(std::string_view point_name);
// The point-id table: id → {point name, uom}, sorted by id. Names are invented
// here (the source gives Chinese descriptions only), chosen to match the `data` keys.
struct PointId {
  int id;
  std::string_view name;
  std::string_view uom;
};
const std::vector<PointId>& point_ids();

// How a meter sends `data`: the acrelHW type-keyed message (§3.5) or the 2025
// ADW300 point-id list (§4).
enum class DataFormat { type, point_id };
std::optional<DataFormat> parse_data_format(std::string_view name); // "type", "point-id"
std::string_view data_format_name(DataFormat f);

// What decode() could not turn into records, and keys it decoded without knowing them.
struct DecodeReport {
  std::vector<std::string> rejected; // "meter 1 key \"ua\": \"abc\" is not a number"
  std::vector<std::string> unknown;  // keys or "id N" decoded as readings without a unit
};

// Decodes one `mqtt` record carrying an acrelHW payload into records written
// to `out`: data → one `reading` per measurement (device = meterSN, point =
// key, uom); data with meterStatus "missing" → `status` state "missing";
// login → `status` state "login"; point-id list → readings; alarm → one
// reading per alarm word. Numbers sent as strings ("226.0") are numbers; the
// DI word (key "di", id 41) gives di1..di4; a key or id not in the tables
// gives a reading named by it, without unit, and is listed in report->unknown;
// a value that is no number is listed in report->rejected. para, heart and
// time carry no measurements and give nothing. Returns the number of records
// written; 0 with `error` set when the record is not an Acrel message.
// Without `report`, rejected values are appended to `error`.
std::size_t decode(simdjson::dom::object mqtt_record, LineSink& out, std::string& error,
                   DecodeReport* report = nullptr);

// The platform side for `iot-mqtt-bridge sub --answer acrel`: a login, para or
// heart (or alarm, time) from a device, that is not itself a reply, gets
// {"type":…,"res":1} on /server/acrelHW/{product}/{cmd}/{SN}. (That heart is
// answered is [UNCERTAIN]; devices must tolerate the reply either way.)
void answer(std::string_view topic, std::string_view payload, std::vector<iot::mqtt::Reply>& out);

} // namespace iot::acrel

#include "iot/core/exit_code.hpp"
#include "iot/record/line_reader.hpp"

namespace iot::acrel {
// `iot-decode acrel`: reads `mqtt` records and writes what decode() gives.
// Lines that are not JSON or not Acrel messages are warned about ("line N:
// …") and skipped; the result is then bad_input.
ExitCode run_decode(LineReader& in, LineSink& out);
} // namespace iot::acrel
