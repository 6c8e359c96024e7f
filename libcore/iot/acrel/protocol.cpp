#include "iot/acrel/protocol.hpp"

#include <fmt/format.h>

#include <ctime>

#include "iot/record/json_writer.hpp"
#include "iot/record/record.hpp"

namespace iot::acrel {

namespace {
constexpr std::string_view k_company = "acrelHW";  // fixed level 2 of every topic (S1, S2)

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
}  // namespace

std::optional<Topic> parse_topic(std::string_view t) {
  Topic out;
  out.leading_slash = !t.empty() && t.front() == '/';
  if (out.leading_slash) t.remove_prefix(1);
  const auto parts = split(t, '/');
  if (parts.size() != 5 || parts[1] != k_company) return std::nullopt;
  if (parts[0] != "gw" && parts[0] != "server" && parts[0] != "meter") return std::nullopt;  // "meter": listed in S1
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

std::string login_payload(std::string_view sn, TimePoint t, int ver, int rssi) {
  // Newer (S2) form; "ccid"/"imei" blank as in the captured example.
  std::string s;
  JsonWriter w(s);
  w.begin_object();
  w.field("ver", ver);
  w.field("rssi", rssi);
  w.field("ccid", " ");
  w.field("imei", " ");
  w.field("time", format_time(t));
  w.field("gwSN", sn);
  w.field("type", "login");
  w.end_object();
  return s;
}

std::string para_payload(std::string_view gw_sn, std::string_view meter_sn, std::string_view meter_name, TimePoint t,
                         int up_interval_minutes) {
  std::string s;
  JsonWriter w(s);
  w.begin_object();
  w.field("type", "para");
  w.field("gwSN", gw_sn);
  w.field("meterSN", meter_sn);
  w.field("meterName", meter_name);
  w.field("time", format_time(t));
  w.field("upInterval", std::to_string(up_interval_minutes));  // a string in the vendor example (S1)
  w.end_object();
  return s;
}

std::string heart_payload(std::string_view sn, TimePoint t) {
  std::string s;
  JsonWriter w(s);
  w.begin_object();
  w.field("type", "heart");
  w.field("gwSN", sn);
  w.field("time", format_time(t));
  w.end_object();
  return s;
}

std::string data_payload(std::string_view gw_sn, std::string_view meter_sn, std::string_view meter_name, TimePoint t,
                         bool missing, const std::vector<std::pair<std::string, double>>& values) {
  std::string s;
  JsonWriter w(s);
  w.begin_object();
  w.field("type", "data");
  w.field("time", format_time(t));
  w.field("gwSN", gw_sn);
  w.field("meterSN", meter_sn);
  w.field("meterName", meter_name);
  w.field("meterStatus", missing ? "missing" : "normal");
  w.field("ch", 0);
  for (const auto& [key, value] : values) w.field(key, missing ? 0.0 : value);  // S4: values are 0 when missing
  w.end_object();
  return s;
}

std::string point_list_payload(std::string_view sn, TimePoint t, const std::vector<std::pair<int, double>>& points) {
  std::string s;
  JsonWriter w(s);
  w.begin_object();
  w.key("data");
  w.begin_array();
  w.begin_object();
  w.field("tp", static_cast<long long>(epoch_ms(t)));
  w.key("point");
  w.begin_array();
  w.begin_object();
  w.field("id", 0);
  w.field("val", sn);
  w.end_object();
  for (const auto& [id, value] : points) {
    w.begin_object();
    w.field("id", id);
    w.field("val", value);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  w.end_array();
  w.end_object();
  return s;
}

std::string reply_payload(std::string_view type, int res) {
  std::string s;
  JsonWriter w(s);
  w.begin_object();
  w.field("type", type);
  w.field("res", res);
  w.end_object();
  return s;
}

const std::vector<std::pair<std::string_view, std::string_view>>& data_keys() {
  // Keys seen in real `data` traffic (S4) with the units the capture implies.
  static const std::vector<std::pair<std::string_view, std::string_view>> keys = {
      {"ua", "V"},    {"ub", "V"},    {"uc", "V"},    {"uab", "V"},   {"ubc", "V"},   {"uca", "V"},
      {"ia", "A"},    {"ib", "A"},    {"ic", "A"},    {"pa", "kW"},   {"pb", "kW"},   {"pc", "kW"},
      {"p", "kW"},    {"qa", "kvar"}, {"qb", "kvar"}, {"qc", "kvar"}, {"q", "kvar"},  {"pfa", ""},
      {"pfb", ""},    {"pfc", ""},    {"pf", ""},     {"hz", "Hz"},   {"pt", ""},     {"ct", ""},
      {"wh", "kWh"},  // [UNCERTAIN] forward (import) active energy
      {"wl", "kWh"},  // [UNCERTAIN] reverse (export) active energy
      {"varh", "kvarh"},  // [UNCERTAIN] forward reactive energy
      {"varl", "kvarh"},  // [UNCERTAIN] reverse reactive energy
  };
  return keys;
}

std::optional<std::string_view> data_key_uom(std::string_view key) {
  for (const auto& [k, u] : data_keys())
    if (k == key) return u;
  return std::nullopt;
}

int data_key_decimals(std::string_view key) {
  if (key == "pt" || key == "ct") return 0;
  const auto uom = data_key_uom(key).value_or("");
  if (uom == "V") return 1;
  if (uom == "A" || uom == "Hz" || uom == "kWh" || uom == "kvarh") return 2;
  return 3; // kW, kvar, power factors
}

std::optional<std::string_view> data_key_of_point(std::string_view name) {
  for (const auto& [k, u] : data_keys())
    if (k == name) return k;
  static constexpr std::pair<std::string_view, std::string_view> k_aliases[] = {
      {"freq", "hz"},        {"ep_import", "wh"}, {"ep_export", "wl"}, {"eq_import", "varh"},
      {"eq_export", "varl"}, {"pt_ratio", "pt"},  {"ct_ratio", "ct"},
  };
  for (const auto& [from, to] : k_aliases)
    if (from == name) return to;
  return std::nullopt;
}

const std::vector<PointId>& point_ids() {
  // Ids and units from S5 (§5 of the reference); names invented to match the data keys.
  static const std::vector<PointId> table = {
      {1, "ua", "V"},           {2, "ub", "V"},           {3, "uc", "V"},           {4, "uab", "V"},
      {5, "ubc", "V"},          {6, "uca", "V"},          {7, "ia", "A"},           {8, "ib", "A"},
      {9, "ic", "A"},           {10, "pa", "kW"},         {11, "pb", "kW"},         {12, "pc", "kW"},
      {13, "p", "kW"},          {14, "qa", "kvar"},       {15, "qb", "kvar"},       {16, "qc", "kvar"},
      {17, "q", "kvar"},        {18, "sa", "kVA"},        {19, "sb", "kVA"},        {20, "sc", "kVA"},
      {21, "s", "kVA"},         {22, "pfa", ""},          {23, "pfb", ""},          {24, "pfc", ""},
      {25, "pf", ""},           {26, "hz", "Hz"},
      {27, "rssi", "dBm"},  // [UNCERTAIN] the sample value 14 looks like a CSQ, not dBm
      {28, "wh", "kWh"},        {29, "wl", "kWh"},        {30, "varh", "kvarh"},    {31, "varl", "kvarh"},
      {32, "demand_p", "kW"},   {34, "pt", ""},           {35, "ct", ""},           {36, "ta", "°C"},
      {37, "tb", "°C"},         {38, "tc", "°C"},         {39, "tn", "°C"},         {40, "ir", "A"},
      {41, "di", ""},           {42, "wh_a", "kWh"},      {43, "wl_a", "kWh"},      {44, "varh_a", "kvarh"},
      {45, "varl_a", "kvarh"},  {46, "wh_b", "kWh"},      {47, "wl_b", "kWh"},      {48, "varh_b", "kvarh"},
      {49, "varl_b", "kvarh"},  {50, "wh_c", "kWh"},      {51, "wl_c", "kWh"},      {52, "varh_c", "kvarh"},
      {53, "varl_c", "kvarh"},  {54, "thdua", "%"},       {55, "thdub", "%"},       {56, "thduc", "%"},
      {57, "thdia", "%"},       {58, "thdib", "%"},       {59, "thdic", "%"},       {60, "demand_p_rev", "kW"},
      {61, "demand_q", "kvar"}, {62, "demand_q_rev", "kvar"}, {63, "uunb", "%"},    {64, "iunb", "%"},
      {65, "wh_sharp", "kWh"},  {66, "wh_peak", "kWh"},   {67, "wh_flat", "kWh"},   {68, "wh_valley", "kWh"},
      {69, "varh_q1", "kvarh"}, {70, "varh_q2", "kvarh"}, {71, "varh_q3", "kvarh"}, {72, "varh_q4", "kvarh"},
  };
  return table;
}

namespace {

const PointId* point_by_id(std::int64_t id) {
  for (const auto& p : point_ids())
    if (p.id == id) return &p;
  return nullptr;
}

void write_reading(LineSink& out, TimePoint ts, std::string_view src, std::string_view device, std::string_view point,
                   double value, std::string_view uom) {
  RecordLine r(out);
  r.w.begin_record(ts, "reading");
  r.w.field("src", src);
  r.w.field("device", device);
  r.w.field("point", point);
  r.w.field("value", value);
  if (!uom.empty()) r.w.field("uom", uom);
  r.w.field("quality", "ok");
  r.w.end_object();
}

void write_status(LineSink& out, TimePoint ts, std::string_view src, std::string_view device, std::string_view state,
                  std::string_view reason) {
  RecordLine r(out);
  r.w.begin_record(ts, "status");
  r.w.field("src", src);
  r.w.field("device", device);
  r.w.field("state", state);
  if (!reason.empty()) r.w.field("reason", reason);
  r.w.end_object();
}

std::optional<double> number(simdjson::dom::element e) {
  double d;
  if (e.get_double().get(d) == simdjson::SUCCESS) return d;
  std::int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return static_cast<double>(i);
  std::uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<double>(u);
  return std::nullopt;
}

}  // namespace

std::size_t decode(simdjson::dom::object rec, LineSink& out, std::string& error) {
  thread_local simdjson::dom::parser parser;
  const std::string_view src = get_string(rec, "topic").value_or("");
  const std::optional<Topic> t = parse_topic(src);
  simdjson::dom::element payload;
  if (rec.at_key("payload").get(payload) != simdjson::SUCCESS) {
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
  const auto type = get_string(obj, "type");
  if (!type) {
    // The 2025 point-id list (S5).
    simdjson::dom::array data;
    if (obj.at_key("data").get_array().get(data) != simdjson::SUCCESS) {
      error = "not an acrelHW payload (no \"type\" and no \"data\" list)";
      return 0;
    }
    std::size_t n = 0;
    for (simdjson::dom::element block : data) {
      simdjson::dom::object b;
      if (block.get_object().get(b) != simdjson::SUCCESS) continue;
      const auto tp = get_int(b, "tp");
      const TimePoint ts = tp ? from_epoch_us(*tp * 1000) : record_ts;
      simdjson::dom::array points;
      if (b.at_key("point").get_array().get(points) != simdjson::SUCCESS) continue;
      std::string device = t ? t->sn : std::string();
      for (simdjson::dom::element p : points) {  // id 0 is the serial: the device name
        simdjson::dom::object po;
        if (p.get_object().get(po) == simdjson::SUCCESS && get_int(po, "id") == 0)
          if (auto sn = get_string(po, "val")) device = std::string(*sn);
      }
      for (simdjson::dom::element p : points) {
        simdjson::dom::object po;
        if (p.get_object().get(po) != simdjson::SUCCESS) continue;
        const auto id = get_int(po, "id");
        simdjson::dom::element val;
        if (!id || po.at_key("val").get(val) != simdjson::SUCCESS) continue;
        const PointId* info = point_by_id(*id);
        const auto v = number(val);
        if (info == nullptr || !v) continue;  // the serial, the ICCID, unknown ids
        write_reading(out, ts, src, device, info->name, *v, info->uom);
        ++n;
      }
    }
    return n;
  }
  const auto time = get_string(obj, "time");
  const TimePoint ts = time ? parse_time(*time).value_or(record_ts) : record_ts;
  if (*type == "data") {
    const std::string_view device =
        get_string(obj, "meterSN").value_or(get_string(obj, "gwSN").value_or(t ? std::string_view(t->sn) : ""));
    if (get_string(obj, "meterStatus").value_or("normal") == "missing") {
      write_status(out, ts, src, device, "missing", "the gateway could not read the meter (meterStatus missing)");
      return 1;
    }
    std::size_t n = 0;
    for (const auto& [key, uom] : data_keys()) {
      simdjson::dom::element e;
      if (obj.at_key(key).get(e) != simdjson::SUCCESS) continue;
      if (const auto v = number(e)) {
        write_reading(out, ts, src, device, key, *v, uom);
        ++n;
      }
    }
    return n;
  }
  if (*type == "login") {
    const std::string_view device = get_string(obj, "gwSN").value_or(t ? std::string_view(t->sn) : "");
    std::string reason = "login";
    if (auto ver = get_int(obj, "ver")) reason += fmt::format(", firmware {}", *ver);
    else if (auto vs = get_string(obj, "ver")) reason += fmt::format(", firmware {}", *vs);
    if (auto rssi = get_int(obj, "rssi")) reason += fmt::format(", signal {}%", *rssi);
    write_status(out, ts, src, device, "login", reason);
    return 1;
  }
  return 0;  // para, heart, time, alarm, replies: no measurements
}

void answer(std::string_view topic_name, std::string_view payload, std::vector<iot::mqtt::Reply>& out) {
  const auto t = parse_topic(topic_name);
  if (!t || t->sender != "gw") return;
  if (t->cmd != "login" && t->cmd != "para" && t->cmd != "heart" && t->cmd != "time" && t->cmd != "alarm") return;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(payload.data(), payload.size(), true).get_object().get(obj) != simdjson::SUCCESS) return;
  if (obj.at_key("res").error() == simdjson::SUCCESS) return;  // a device's own acknowledgement: no reply to a reply
  iot::mqtt::Reply r;
  r.topic = topic("server", t->product, t->cmd, t->sn, t->leading_slash);
  if (t->cmd == "time") {
    // [INF, unverified] reply form for time sync: the server clock in the protocol's format.
    std::string s;
    JsonWriter w(s);
    w.begin_object();
    w.field("type", "time");
    w.field("time", format_time(now()));
    w.field("res", 1);
    w.end_object();
    r.payload = std::move(s);
  } else {
    r.payload = reply_payload(t->cmd, 1);
  }
  r.qos = 1;  // [UNCERTAIN] QoS is not stated by the sources
  out.push_back(std::move(r));
}

}  // namespace iot::acrel

#include "iot/cli/log.hpp"

namespace iot::acrel {
ExitCode run_decode(LineReader& in, LineSink& out) {
  RecordParser parser;
  in.set_before_read([&out] { out.flush(); });
  std::string_view line;
  std::size_t skipped = 0;
  std::string error;
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
    decode(rec, out, error);
    if (!error.empty()) {
      log::warn("line {}: {}", in.line_number(), error);
      ++skipped;
    }
  }
  out.flush();
  return skipped > 0 ? ExitCode::bad_input : ExitCode::ok;
}
}  // namespace iot::acrel
