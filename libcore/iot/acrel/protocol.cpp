#include "iot/acrel/protocol.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "iot/record/json_writer.hpp"
#include "iot/record/record.hpp"
#include "iot/record/records.hpp"

namespace iot::acrel {

namespace {
constexpr std::string_view k_company = "acrelHW"; // fixed level 2 of every topic (S1, S2)

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}
} // namespace

std::optional<Topic> parse_topic(std::string_view t) {
  Topic out;
  out.leading_slash = !t.empty() && t.front() == '/';
  if (out.leading_slash) t.remove_prefix(1);
  const auto parts = split(t, '/');
  if (parts.size() != 5 || parts[1] != k_company) return std::nullopt;
  if (parts[0] != "gw" && parts[0] != "server" && parts[0] != "meter") return std::nullopt; // "meter": listed in S1
  out.sender = parts[0];
  out.product = parts[2];
  out.cmd = parts[3];
  out.sn = parts[4];
  if (out.cmd.empty() || out.sn.empty()) return std::nullopt;
  return out;
}

std::string topic(std::string_view sender, std::string_view product, std::string_view cmd, std::string_view sn,
                  bool leading_slash) {
  return fmt::format("{}{}/{}/{}/{}/{}", leading_slash ? "/" : "", sender, k_company, product, cmd, sn);
}

std::string format_time(TimePoint t) {
  const std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::optional<TimePoint> parse_time(std::string_view s) {
  if (s.size() != 14) return std::nullopt;
  int v[6] = {};
  const int widths[6] = {4, 2, 2, 2, 2, 2};
  std::size_t pos = 0;
  for (int i = 0; i < 6; ++i) {
    for (int k = 0; k < widths[i]; ++k, ++pos) {
      if (s[pos] < '0' || s[pos] > '9') return std::nullopt;
      v[i] = v[i] * 10 + (s[pos] - '0');
    }
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = v[0] - 1900;
  tm.tm_mon = v[1] - 1;
  tm.tm_mday = v[2];
  tm.tm_hour = v[3];
  tm.tm_min = v[4];
  tm.tm_sec = v[5];
  return TimePoint(std::chrono::seconds(timegm(&tm)));
}

namespace {

// One message: a JSON object whose members `fill` writes, in the order of the
// vendor's samples (S1–S5), which some platforms' parsers depend on.
template <typename Fill> std::string object_payload(Fill&& fill) {
  std::string s;
  JsonWriter w(s);
  w.begin_object();
  fill(w);
  w.end_object();
  return s;
}

// The members `data` and `alarm` messages start with (S4).
void meter_header(JsonWriter& w, std::string_view type, TimePoint t, std::string_view gw_sn, std::string_view meter_sn,
                  std::string_view meter_name) {
  w.field(json_key::type, type);
  w.field("time", format_time(t));
  w.field("gwSN", gw_sn);
  w.field("meterSN", meter_sn);
  w.field("meterName", meter_name);
}

// One entry of a point-id list (S5): {"id":…,"val":…}.
template <typename Val> void point_entry(JsonWriter& w, int id, const Val& val) {
  w.begin_object();
  w.field(json_key::id, id);
  w.field("val", val);
  w.end_object();
}

} // namespace

std::string login_payload(std::string_view sn, TimePoint t, int ver, int rssi) {
  // Newer (S2) form; "ccid"/"imei" blank as in the captured example.
  return object_payload([&](JsonWriter& w) {
    w.field("ver", ver);
    w.field("rssi", rssi);
    w.field("ccid", " ");
    w.field("imei", " ");
    w.field("time", format_time(t));
    w.field("gwSN", sn);
    w.field(json_key::type, "login");
  });
}

std::string para_payload(std::string_view gw_sn, std::string_view meter_sn, std::string_view meter_name, TimePoint t,
                         int up_interval_minutes) {
  return object_payload([&](JsonWriter& w) {
    w.field(json_key::type, "para");
    w.field("gwSN", gw_sn);
    w.field("meterSN", meter_sn);
    w.field("meterName", meter_name);
    w.field("time", format_time(t));
    w.field("upInterval", std::to_string(up_interval_minutes)); // a string in the vendor example (S1)
  });
}

std::string heart_payload(std::string_view sn, TimePoint t) {
  return object_payload([&](JsonWriter& w) {
    w.field(json_key::type, "heart");
    w.field("gwSN", sn);
    w.field("time", format_time(t));
  });
}

std::string data_payload(std::string_view gw_sn, std::string_view meter_sn, std::string_view meter_name, TimePoint t,
                         bool missing, const std::vector<std::pair<std::string, double>>& values) {
  return object_payload([&](JsonWriter& w) {
    meter_header(w, "data", t, gw_sn, meter_sn, meter_name);
    w.field("meterStatus", missing ? "missing" : "normal");
    w.field("ch", 0);
    for (const auto& [key, value] : values)
      w.field(key, missing ? 0.0 : value); // S4: values are 0 when missing
  });
}

std::string point_list_payload(std::string_view sn, TimePoint t, const std::vector<std::pair<int, double>>& points,
                               std::string_view iccid) {
  return object_payload([&](JsonWriter& w) {
    w.key(json_key::data);
    w.begin_array();
    w.begin_object();
    w.field("tp", static_cast<long long>(epoch_ms(t)));
    w.key(json_key::point);
    w.begin_array();
    point_entry(w, k_point_id_sn, sn);
    bool iccid_done = iccid.empty();
    for (const auto& [id, value] : points) {
      if (!iccid_done && id > k_point_id_iccid) { // ids in order, as in the S5 sample
        point_entry(w, k_point_id_iccid, iccid);
        iccid_done = true;
      }
      point_entry(w, id, value);
    }
    if (!iccid_done) point_entry(w, k_point_id_iccid, iccid);
    w.end_array();
    w.end_object();
    w.end_array();
  });
}

std::string time_payload(std::string_view sn, TimePoint t) {
  return object_payload([&](JsonWriter& w) {
    w.field("country", "China");
    w.field("utc", "0");
    w.field("time", format_time(t));
    w.field("gwSN", sn);
    w.field(json_key::type, "time");
  });
}

std::string alarm_payload(std::string_view sn, std::string_view meter_name, TimePoint t,
                          const std::vector<std::pair<std::string, double>>& words) {
  return object_payload([&](JsonWriter& w) {
    meter_header(w, "alarm", t, sn, sn, meter_name);
    for (const auto& [key, value] : words)
      w.field(key, static_cast<long long>(value));
  });
}

std::string reply_payload(std::string_view type, int res) {
  return object_payload([&](JsonWriter& w) {
    w.field(json_key::type, type);
    w.field("res", res);
  });
}

const std::vector<Quantity>& quantities() {
  // Point ids and units from S5 (reference §5). The first 25 keys are those of
  // the acrelHW `data` messages seen in real traffic (S4, reference §3.5); the
  // others have no observed acrelHW key, so their type-keyed names are
  // [INVENTED] here (the same names as in the point-id decoding). Decimals are
  // the resolution of the S4 capture, else of the ADW300 register (§6.2).
  // base/step: the simulator's default value base + n × step (n = the SN's last two digits).
  static const std::vector<Quantity> table = {
      {1, "ua", "V", 1, 220.0, 0.1},
      {2, "ub", "V", 1, 221.0, 0.1},
      {3, "uc", "V", 1, 219.0, 0.1},
      {7, "ia", "A", 2, 5.0, 0.01},
      {8, "ib", "A", 2, 4.5, 0.01},
      {9, "ic", "A", 2, 4.0, 0.01},
      {10, "pa", "kW", 3, 1.1, 0.001},
      {11, "pb", "kW", 3, 0.99, 0.001},
      {12, "pc", "kW", 3, 0.88, 0.001},
      {13, "p", "kW", 3, 2.97, 0.003},
      {14, "qa", "kvar", 3, 0.1, 0.001},
      {15, "qb", "kvar", 3, 0.09, 0.001},
      {16, "qc", "kvar", 3, 0.08, 0.001},
      {17, "q", "kvar", 3, 0.27, 0.003},
      {22, "pfa", "", 3, 0.99, 0},
      {23, "pfb", "", 3, 0.98, 0},
      {24, "pfc", "", 3, 0.97, 0},
      {25, "pf", "", 3, 0.98, 0},
      {26, "hz", "Hz", 2, 50.0, 0.01},
      {34, "pt", "", 0, 1, 0},
      {35, "ct", "", 0, 40, 0},
      {28, "wh", "kWh", 2, 1000.0, 1.5},     // [UNCERTAIN] forward (import) active energy
      {29, "wl", "kWh", 2, 0.0, 0},          // [UNCERTAIN] reverse (export) active energy
      {30, "varh", "kvarh", 2, 100.0, 0.25}, // [UNCERTAIN] forward reactive energy
      {31, "varl", "kvarh", 2, 0.0, 0},      // [UNCERTAIN] reverse reactive energy
      {4, "uab", "V", 1, 381.0, 0.1},
      {5, "ubc", "V", 1, 382.0, 0.1},
      {6, "uca", "V", 1, 380.0, 0.1},
      {18, "sa", "kVA", 3, 1.105, 0.001},
      {19, "sb", "kVA", 3, 0.995, 0.001},
      {20, "sc", "kVA", 3, 0.884, 0.001},
      {21, "s", "kVA", 3, 2.984, 0.003},
      {27, "rssi", "dBm", 0, 20, 0}, // [UNCERTAIN] the sample value 14 looks like a CSQ, not dBm
      {32, "demand_p", "kW", 3, 2.5, 0.002},
      {36, "ta", "°C", 1, 30.5, 0.1},
      {37, "tb", "°C", 1, 31.0, 0.1},
      {38, "tc", "°C", 1, 30.0, 0.1},
      {39, "tn", "°C", 1, 28.5, 0.1},
      {40, "ir", "A", 3, 0.012, 0},
      {41, "di", "", 0, 5, 0}, // bit0..bit3 = DI1..DI4; decoded as di1..di4
      {42, "wh_a", "kWh", 2, 340.0, 0.5},
      {43, "wl_a", "kWh", 2, 0, 0},
      {44, "varh_a", "kvarh", 2, 33.0, 0.08},
      {45, "varl_a", "kvarh", 2, 0, 0},
      {46, "wh_b", "kWh", 2, 330.0, 0.5},
      {47, "wl_b", "kWh", 2, 0, 0},
      {48, "varh_b", "kvarh", 2, 33.5, 0.08},
      {49, "varl_b", "kvarh", 2, 0, 0},
      {50, "wh_c", "kWh", 2, 330.0, 0.5},
      {51, "wl_c", "kWh", 2, 0, 0},
      {52, "varh_c", "kvarh", 2, 33.5, 0.09},
      {53, "varl_c", "kvarh", 2, 0, 0},
      {54, "thdua", "%", 2, 2.1, 0.01},
      {55, "thdub", "%", 2, 2.2, 0.01},
      {56, "thduc", "%", 2, 2.3, 0.01},
      {57, "thdia", "%", 2, 8.5, 0.01},
      {58, "thdib", "%", 2, 9.1, 0.01},
      {59, "thdic", "%", 2, 9.7, 0.01},
      {60, "demand_p_rev", "kW", 3, 0, 0},
      {61, "demand_q", "kvar", 3, 0.25, 0.001},
      {62, "demand_q_rev", "kvar", 3, 0, 0},
      {63, "uunb", "%", 2, 0.45, 0},
      {64, "iunb", "%", 2, 5.3, 0},
      {65, "wh_sharp", "kWh", 2, 100.0, 0.15}, // 尖
      {66, "wh_peak", "kWh", 2, 300.0, 0.45},  // 峰
      {67, "wh_flat", "kWh", 2, 400.0, 0.6},   // 平
      {68, "wh_valley", "kWh", 2, 200.0, 0.3}, // 谷
      {69, "varh_q1", "kvarh", 3, 100.0, 0.25},
      {70, "varh_q2", "kvarh", 3, 0, 0},
      {71, "varh_q3", "kvarh", 3, 0, 0},
      {72, "varh_q4", "kvarh", 3, 0, 0},
  };
  return table;
}

const Quantity* find_quantity(std::string_view key) {
  for (const auto& q : quantities())
    if (q.key == key) return &q;
  return nullptr;
}

const std::vector<std::pair<std::string_view, std::string_view>>& data_keys() {
  static const std::vector<std::pair<std::string_view, std::string_view>> keys = [] {
    std::vector<std::pair<std::string_view, std::string_view>> k;
    for (const auto& q : quantities())
      k.emplace_back(q.key, q.uom);
    return k;
  }();
  return keys;
}

std::optional<std::string_view> data_key_uom(std::string_view key) {
  if (const Quantity* q = find_quantity(key)) return q->uom;
  if (is_di_key(key)) return std::string_view();
  return std::nullopt;
}

int data_key_decimals(std::string_view key) {
  if (const Quantity* q = find_quantity(key)) return q->decimals;
  return 0; // di1..di4, alarm words
}

bool is_di_key(std::string_view key) {
  return key.size() == 3 && key.starts_with("di") && key[2] >= '1' && key[2] <= '4';
}

const std::vector<std::string_view>& alarm_keys() {
  // [INVENTED] the `alarm` message's content is not known (reference §3.6):
  // the ADW300's three alarm status words (§6.3), under these keys.
  static const std::vector<std::string_view> keys = {"alarm1", "alarm2", "alarm3"};
  return keys;
}

std::optional<std::string_view> data_key_of_point(std::string_view name) {
  if (const Quantity* q = find_quantity(name)) return q->key;
  if (is_di_key(name)) return name;
  for (std::string_view a : alarm_keys())
    if (a == name) return a;
  // The ADW300 Modbus catalog's names of the same quantities (examples/models/adw300.toml).
  static constexpr std::pair<std::string_view, std::string_view> k_aliases[] = {
      {"freq", "hz"},
      {"ep_import", "wh"},
      {"ep_export", "wl"},
      {"eq_import", "varh"},
      {"eq_export", "varl"},
      {"pt_ratio", "pt"},
      {"ct_ratio", "ct"},
      {"signal", "rssi"},
      {"temp_a", "ta"},
      {"temp_b", "tb"},
      {"temp_c", "tc"},
      {"temp_n", "tn"},
      {"ep_import_a", "wh_a"},
      {"ep_export_a", "wl_a"},
      {"eq_import_a", "varh_a"},
      {"eq_export_a", "varl_a"},
      {"ep_import_b", "wh_b"},
      {"ep_export_b", "wl_b"},
      {"eq_import_b", "varh_b"},
      {"eq_export_b", "varl_b"},
      {"ep_import_c", "wh_c"},
      {"ep_export_c", "wl_c"},
      {"eq_import_c", "varh_c"},
      {"eq_export_c", "varl_c"},
      {"thd_ua", "thdua"},
      {"thd_ub", "thdub"},
      {"thd_uc", "thduc"},
      {"thd_ia", "thdia"},
      {"thd_ib", "thdib"},
      {"thd_ic", "thdic"},
      {"demand_p_export", "demand_p_rev"},
      {"demand_q_export", "demand_q_rev"},
      {"u_unbalance", "uunb"},
      {"i_unbalance", "iunb"},
      {"ep_total_sharp", "wh_sharp"},
      {"ep_total_peak", "wh_peak"},
      {"ep_total_flat", "wh_flat"},
      {"ep_total_valley", "wh_valley"},
      {"eq_q1", "varh_q1"},
      {"eq_q2", "varh_q2"},
      {"eq_q3", "varh_q3"},
      {"eq_q4", "varh_q4"},
      {"alarm1_status", "alarm1"},
      {"alarm2_status", "alarm2"},
      {"alarm3_status", "alarm3"},
  };
  for (const auto& [from, to] : k_aliases)
    if (from == name) return to;
  return std::nullopt;
}

const std::vector<PointId>& point_ids() {
  static const std::vector<PointId> table = [] {
    std::vector<PointId> t;
    for (const auto& q : quantities())
      t.push_back({q.id, q.key, q.uom});
    std::sort(t.begin(), t.end(), [](const PointId& a, const PointId& b) { return a.id < b.id; });
    return t;
  }();
  return table;
}

std::optional<DataFormat> parse_data_format(std::string_view name) {
  if (name == "type") return DataFormat::type;
  if (name == "point-id") return DataFormat::point_id;
  return std::nullopt;
}

std::string_view data_format_name(DataFormat f) { return f == DataFormat::type ? "type" : "point-id"; }

std::optional<int> point_id_of(std::string_view key) {
  if (const Quantity* q = find_quantity(key)) return q->id;
  return std::nullopt;
}

namespace {

const PointId* point_by_id(std::int64_t id) {
  for (const auto& p : point_ids())
    if (p.id == id) return &p;
  return nullptr;
}

void write_reading(LineSink& out, TimePoint ts, std::string_view src, std::string_view device, std::string_view point,
                   record::Value value, std::string_view uom) {
  write_record(out, record::Reading{
                        .ts = ts, .src = src, .device = device, .point = point, .value = std::move(value), .uom = uom});
}

void write_status(LineSink& out, TimePoint ts, std::string_view src, std::string_view device, std::string_view state,
                  std::string_view reason) {
  write_record(out, record::Status{.ts = ts, .src = src, .device = device, .state = state, .reason = reason});
}

std::optional<double> number(simdjson::dom::element e) {
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) return d;
  std::int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  std::uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<double>(u);
  // Numbers sent as strings, as the 中台 variant does ("226.0", reference §1).
  std::string_view text;
  if (e.get_string().get(text) == simdjson::SUCCESS) {
    while (!text.empty() && text.front() == ' ')
      text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
      text.remove_suffix(1);
    if (text.empty() || text.size() > 64) return std::nullopt;
    const std::string copy(text);
    char* end = nullptr;
    const double v = std::strtod(copy.c_str(), &end);
    if (end == copy.c_str() + copy.size() && std::isfinite(v)) return v;
  }
  return std::nullopt;
}

std::string excerpt(simdjson::dom::element e) {
  std::string t = simdjson::to_string(e);
  if (t.size() > 40) t = t.substr(0, 37) + "...";
  return t;
}

// The state of DI1..DI4 from the DI word (bit0 = DI1, reference §5 id 41, §6.2 0x003A).
void write_di(LineSink& out, TimePoint ts, std::string_view src, std::string_view device, double word) {
  const auto bits = static_cast<std::uint64_t>(word < 0 ? 0 : word);
  for (int i = 0; i < 4; ++i)
    write_reading(out, ts, src, device, fmt::format("di{}", i + 1), static_cast<double>((bits >> i) & 1u), "");
}

// Keys of a type-keyed message that are not measurements (reference §2, §3.5).
bool is_envelope_key(std::string_view k) {
  static constexpr std::string_view keys[] = {json_key::type, "time",        "gwSN", "meterSN",
                                              "meterName",    "meterStatus", "ch"};
  for (auto e : keys)
    if (e == k) return true;
  return false;
}

} // namespace

std::size_t decode(simdjson::dom::object rec, LineSink& out, std::string& error, DecodeReport* report_out) {
  thread_local simdjson::dom::parser parser;
  DecodeReport local;
  DecodeReport& report = report_out != nullptr ? *report_out : local;
  const auto finish = [&](std::size_t n) {
    if (report_out == nullptr)
      for (const auto& r : local.rejected)
        error += (error.empty() ? "" : "; ") + r;
    return n;
  };
  const std::string_view src = get_string(rec, fields::topic).value_or("");
  const std::optional<Topic> t = parse_topic(src);
  simdjson::dom::element payload;
  if (rec.at_key(fields::payload).get(payload) != simdjson::SUCCESS) {
    error = "no JSON payload";
    return 0;
  }
  simdjson::dom::object obj;
  if (payload.get_object().get(obj) != simdjson::SUCCESS) {
    std::string_view text;
    if (payload.get_string().get(text) != simdjson::SUCCESS ||
        parser.parse(text.data(), text.size(), true).get_object().get(obj) != simdjson::SUCCESS) {
      error = "payload is not a JSON object";
      return 0;
    }
  }
  const TimePoint record_ts = get_ts(rec).value_or(now());
  const auto type = get_string(obj, json_key::type);
  if (!type) {
    // The 2025 point-id list (S5).
    simdjson::dom::array data;
    if (obj.at_key(json_key::data).get_array().get(data) != simdjson::SUCCESS) {
      error = "not an acrelHW payload (no \"type\" and no \"data\" list)";
      return 0;
    }
    std::size_t n = 0;
    for (simdjson::dom::element block : data) {
      simdjson::dom::object b;
      if (block.get_object().get(b) != simdjson::SUCCESS) {
        report.rejected.push_back("a \"data\" entry is not an object: " + excerpt(block));
        continue;
      }
      const auto tp = get_int(b, "tp");
      const TimePoint ts = tp ? from_epoch_us(*tp * 1000) : record_ts;
      simdjson::dom::array points;
      if (b.at_key(json_key::point).get_array().get(points) != simdjson::SUCCESS) {
        report.rejected.push_back("a \"data\" entry has no \"point\" list");
        continue;
      }
      std::string device = t ? t->sn : std::string();
      for (simdjson::dom::element p : points) { // id 0 is the serial: the device name
        simdjson::dom::object po;
        if (p.get_object().get(po) == simdjson::SUCCESS && get_int(po, json_key::id) == k_point_id_sn) {
          if (auto sn = get_string(po, "val"))
            device = std::string(*sn);
          else if (auto sn_num = get_int(po, "val"))
            device = std::to_string(*sn_num);
        }
      }
      for (simdjson::dom::element p : points) {
        simdjson::dom::object po;
        simdjson::dom::element val;
        const auto id = p.get_object().get(po) == simdjson::SUCCESS ? get_int(po, json_key::id) : std::nullopt;
        if (!id || po.at_key("val").get(val) != simdjson::SUCCESS) {
          report.rejected.push_back("point without \"id\" and \"val\": " + excerpt(p));
          continue;
        }
        if (*id == k_point_id_sn) continue;
        if (*id == k_point_id_iccid) { // the SIM card's ICCID: a string reading
          std::string_view iccid;
          if (val.get_string().get(iccid) == simdjson::SUCCESS) {
            write_reading(out, ts, src, device, "iccid", std::string(iccid), "");
            ++n;
          } else {
            report.rejected.push_back(fmt::format("meter {} id 33 (ICCID): {} is not a string", device, excerpt(val)));
          }
          continue;
        }
        const auto v = number(val);
        if (!v) {
          report.rejected.push_back(fmt::format("meter {} id {}: {} is not a number", device, *id, excerpt(val)));
          continue;
        }
        if (*id == k_point_id_di) {
          write_di(out, ts, src, device, *v);
          n += 4;
          continue;
        }
        if (const PointId* info = point_by_id(*id)) {
          write_reading(out, ts, src, device, info->name, *v, info->uom);
        } else {
          const std::string name = fmt::format("id{}", *id);
          write_reading(out, ts, src, device, name, *v, "");
          report.unknown.push_back(fmt::format("point id {} (reading \"{}\")", *id, name));
        }
        ++n;
      }
    }
    return finish(n);
  }
  const auto time = get_string(obj, "time");
  const TimePoint ts = time ? parse_time(*time).value_or(record_ts) : record_ts;
  if (*type == "data" || *type == "alarm") {
    const std::string_view device =
        get_string(obj, "meterSN").value_or(get_string(obj, "gwSN").value_or(t ? std::string_view(t->sn) : ""));
    if (*type == "data" && get_string(obj, "meterStatus").value_or("normal") == "missing") {
      write_status(out, ts, src, device, "missing", "the gateway could not read the meter (meterStatus missing)");
      return 1;
    }
    std::size_t n = 0;
    for (auto [key, e] : obj) {
      if (is_envelope_key(key)) continue;
      const auto v = number(e);
      if (!v) {
        report.rejected.push_back(fmt::format("meter {} key \"{}\": {} is not a number", device, key, excerpt(e)));
        continue;
      }
      if (key == "di") {
        write_di(out, ts, src, device, *v);
        n += 4;
        continue;
      }
      std::optional<std::string_view> uom = data_key_uom(key);
      if (!uom) {
        bool alarm_word = false;
        for (auto a : alarm_keys())
          alarm_word = alarm_word || a == key;
        if (alarm_word) uom = "";
      }
      write_reading(out, ts, src, device, key, *v, uom.value_or(""));
      if (!uom) report.unknown.push_back(fmt::format("key \"{}\"", key));
      ++n;
    }
    return finish(n);
  }
  if (*type == "login") {
    const std::string_view device = get_string(obj, "gwSN").value_or(t ? std::string_view(t->sn) : "");
    std::string reason = "login";
    if (auto ver = get_int(obj, "ver"))
      reason += fmt::format(", firmware {}", *ver);
    else if (auto vs = get_string(obj, "ver"))
      reason += fmt::format(", firmware {}", *vs);
    if (auto rssi = get_int(obj, "rssi")) reason += fmt::format(", signal {}%", *rssi);
    write_status(out, ts, src, device, "login", reason);
    return 1;
  }
  return 0; // para, heart, time, replies: no measurements
}

void answer(std::string_view topic_name, std::string_view payload, std::vector<iot::mqtt::Reply>& out) {
  const auto t = parse_topic(topic_name);
  if (!t || t->sender != "gw") return;
  if (t->cmd != "login" && t->cmd != "para" && t->cmd != "heart" && t->cmd != "time" && t->cmd != "alarm") return;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(payload.data(), payload.size(), true).get_object().get(obj) != simdjson::SUCCESS) return;
  if (obj.at_key("res").error() == simdjson::SUCCESS) return; // a device's own acknowledgement: no reply to a reply
  iot::mqtt::Reply r;
  r.topic = topic("server", t->product, t->cmd, t->sn, t->leading_slash);
  if (t->cmd == "time") {
    // [INF, unverified] reply form for time sync: the server clock in the protocol's format.
    std::string s;
    JsonWriter w(s);
    w.begin_object();
    w.field(json_key::type, "time");
    w.field("time", format_time(now()));
    w.field("res", 1);
    w.end_object();
    r.payload = std::move(s);
  } else {
    r.payload = reply_payload(t->cmd, 1);
  }
  r.qos = 1; // [UNCERTAIN] QoS is not stated by the sources
  out.push_back(std::move(r));
}

} // namespace iot::acrel

#include <set>

#include "iot/core/log.hpp"

namespace iot::acrel {
ExitCode run_decode(LineReader& in, LineSink& out) {
  RecordParser parser;
  in.set_before_read([&out] { out.flush(); });
  std::string_view line;
  std::size_t skipped = 0;
  std::string error;
  DecodeReport report;
  std::set<std::string> unknown_seen;
  while (in.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    simdjson::dom::object rec;
    try {
      rec = parser.parse(line, in.line_number());
    } catch (const std::exception&) {
      log::warn("line {}: not a JSON object", in.line_number());
      ++skipped;
      continue;
    }
    if (get_kind(rec) != RecordKind::mqtt) {
      log::warn("line {}: not an mqtt record; skipped", in.line_number());
      ++skipped;
      continue;
    }
    error.clear();
    report.rejected.clear();
    report.unknown.clear();
    decode(rec, out, error, &report);
    if (!error.empty()) {
      log::warn("line {}: {}", in.line_number(), error);
      ++skipped;
    }
    for (const auto& r : report.rejected) {
      log::warn("line {}: {}; skipped", in.line_number(), r);
      ++skipped;
    }
    // A key the tables do not know is decoded (reading without unit) and named
    // once, so a new firmware's quantities are seen without flooding a long run.
    for (auto& u : report.unknown)
      if (unknown_seen.insert(u).second)
        log::warn("line {}: {} is not in the acrelHW tables: decoded without a unit", in.line_number(), u);
  }
  out.flush();
  return skipped > 0 ? ExitCode::bad_input : ExitCode::ok;
}
} // namespace iot::acrel
