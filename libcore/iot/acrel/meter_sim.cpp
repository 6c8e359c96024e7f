#include "iot/acrel/meter_sim.hpp"

#include <simdjson.h>
#include <sys/resource.h>

#include <cmath>
#include <cstring>

#include "iot/acrel/protocol.hpp"
#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/record/record.hpp"

namespace iot::acrel {

using namespace std::chrono_literals;

constexpr auto k_relogin = 10s; // [INVENTED] login retry after a refusal

const std::vector<std::string>& sim_data_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& q : quantities())
      k.emplace_back(q.key);
    return k;
  }();
  return keys;
}

double default_value(const std::string& meter, const std::string& key, TimePoint) {
  int n = 0;
  if (meter.size() >= 2) n = (meter[meter.size() - 2] - '0') * 10 + (meter.back() - '0');
  if (const Quantity* q = find_quantity(key)) {
    // Rounded to 3 decimals so the JSON text is short and exact.
    const double v = q->sim_base + n * q->sim_step;
    return std::round(v * 1000.0) / 1000.0;
  }
  return 0.0;
}

namespace {
std::string expand_sn(std::string text, const std::string& sn) {
  for (std::size_t pos; (pos = text.find("{sn}")) != std::string::npos;)
    text.replace(pos, 4, sn);
  return text;
}

// [INVENTED] a 20-digit ICCID per meter: 8986 (China) + the SN, zero-padded.
std::string iccid_of(const std::string& sn) {
  std::string digits = sn.size() > 16 ? sn.substr(sn.size() - 16) : sn;
  return "8986" + std::string(16 - digits.size(), '0') + digits;
}
} // namespace

struct MeterFleet::Meter {
  MeterFleet* fleet = nullptr;
  std::string sn;
  std::string product;
  std::string meter_name;
  std::optional<std::chrono::milliseconds> fast;
  DataFn data;
  DataFn alarms;
  DataFormat format = DataFormat::type;
  MQTTAsync handle = nullptr;
  std::atomic<bool> connected{false};
  std::atomic<bool> connecting{false};
  std::atomic<bool> refresh{false};
  // Set when the platform refused the login ({"type":"login","res":0}): the meter
  // sends nothing else and logs in again at relogin_at.
  std::atomic<bool> refused{false};
  std::atomic<std::int64_t> relogin_at{0}; // steady clock, ns
  std::atomic<int> up_interval_minutes{5};
  std::chrono::steady_clock::time_point retry_at{};
  std::chrono::milliseconds backoff{};
  std::chrono::steady_clock::time_point next_heart{};
  std::chrono::steady_clock::time_point next_data{};
  std::string client_id;
  std::string will_topic, will_payload;
  bool iccid_sent = false;
  // Set when the login is accepted: the time request goes out at time_at (steady ns, 0 = none).
  std::atomic<std::int64_t> time_at{0};
  std::vector<std::pair<std::string, double>> last_alarms; // as last sent (scheduler thread)
  std::mutex fault_mu;
  std::optional<MeterFault> fault;
  std::chrono::steady_clock::time_point fault_since{};
  bool down_by_fault = false; // disconnected by an offline or flap fault (scheduler thread)
};

MeterFleet::MeterFleet(FleetOptions options) : m_opt(std::move(options)) {
  // One socket per meter: raise the soft descriptor limit to the hard one.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  const auto broker = iot::mqtt::parse_broker_url(m_opt.connect.broker);
  const std::string uri = broker.paho_uri();
  m_tls = broker.tls;
  if (broker.tls) {
    // As iot-mqtt-bridge pub/sub: CA file, optional client certificate and key;
    // the server's certificate and host name are verified unless `insecure`.
    m_ssl.trustStore = m_opt.connect.ca_file.empty() ? nullptr : m_opt.connect.ca_file.c_str();
    m_ssl.keyStore = m_opt.connect.cert_file.empty() ? nullptr : m_opt.connect.cert_file.c_str();
    m_ssl.privateKey = m_opt.connect.key_file.empty() ? nullptr : m_opt.connect.key_file.c_str();
    m_ssl.enableServerCertAuth = m_opt.connect.insecure ? 0 : 1;
    m_ssl.verify = m_opt.connect.insecure ? 0 : 1;
  }
  if (m_opt.meter_list.empty())
    for (std::size_t i = 0; i < m_opt.meters; ++i) {
      MeterSpec spec;
      spec.sn = sn(i);
      m_opt.meter_list.push_back(std::move(spec));
    }
  m_opt.meters = m_opt.meter_list.size();
  for (auto& spec : m_opt.meter_list) {
    auto m = std::make_unique<Meter>();
    m->fleet = this;
    m->sn = spec.sn;
    m->product = spec.product.empty() ? m_opt.product : spec.product;
    m->meter_name = spec.meter_name.empty() ? m_opt.meter_name : spec.meter_name;
    m->fast = spec.fast ? spec.fast : m_opt.fast;
    m->data = std::move(spec.data);
    m->alarms = std::move(spec.alarms);
    m->format = spec.format.value_or(m_opt.format);
    m->up_interval_minutes = spec.up_interval_minutes > 0 ? spec.up_interval_minutes : m_opt.up_interval_minutes;
    m->client_id = !spec.client_id.empty()            ? spec.client_id
                   : !m_opt.connect.client_id.empty() ? expand_sn(m_opt.connect.client_id, m->sn)
                                                      : "acrel-" + m->sn;
    if (m_opt.connect.will) {
      m->will_topic = expand_sn(m_opt.connect.will->topic, m->sn);
      m->will_payload = expand_sn(m_opt.connect.will->payload, m->sn);
    }
    m->backoff = m_opt.connect.reconnect_min;
    MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer;
    if (m_opt.connect.version == 5) create.MQTTVersion = MQTTVERSION_5;
    if (MQTTAsync_createWithOptions(&m->handle, uri.c_str(), m->client_id.c_str(), MQTTCLIENT_PERSISTENCE_NONE, nullptr,
                                    &create) != MQTTASYNC_SUCCESS)
      throw io_error("cannot create MQTT client for meter " + m->sn);
    MQTTAsync_setCallbacks(
        m->handle, m.get(),
        [](void* ctx, char*) {
          auto* mm = static_cast<Meter*>(ctx);
          mm->connected = false;
          mm->connecting = false;
          mm->retry_at = std::chrono::steady_clock::now() + mm->backoff;
        },
        [](void* ctx, char* topic, int len, MQTTAsync_message* msg) -> int {
          auto* mm = static_cast<Meter*>(ctx);
          const std::string_view t(topic, len > 0 ? static_cast<std::size_t>(len) : std::strlen(topic));
          mm->fleet->on_downlink(
              *mm, t,
              std::string_view(static_cast<const char*>(msg->payload), static_cast<std::size_t>(msg->payloadlen)));
          MQTTAsync_freeMessage(&msg);
          MQTTAsync_free(topic);
          return 1;
        },
        nullptr);
    m_meters.push_back(std::move(m));
  }
}

MeterFleet::~MeterFleet() {
  stop();
  for (auto& m : m_meters)
    if (m->handle != nullptr) MQTTAsync_destroy(&m->handle);
}

std::string MeterFleet::sn(std::size_t index) const { return std::to_string(m_opt.first_sn + index); }

void MeterFleet::start() {
  m_thread = std::thread([this] { schedule_loop(); });
}

void MeterFleet::stop() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
  for (auto& m : m_meters) {
    if (m->handle != nullptr && MQTTAsync_isConnected(m->handle)) {
      MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
      d.timeout = 100;
      MQTTAsync_disconnect(m->handle, &d);
    }
  }
}

FleetStats MeterFleet::stats() const {
  std::lock_guard lock(m_mu);
  FleetStats s = m_stats;
  s.connected = 0;
  for (const auto& m : m_meters)
    s.connected += m->connected ? 1 : 0;
  return s;
}

std::optional<std::size_t> MeterFleet::find(std::string_view sn) const {
  for (std::size_t i = 0; i < m_meters.size(); ++i)
    if (m_meters[i]->sn == sn) return i;
  return std::nullopt;
}

void MeterFleet::refresh(std::size_t index) { m_meters.at(index)->refresh = true; }

void MeterFleet::set_fault(std::size_t index, std::optional<MeterFault> fault) {
  Meter& m = *m_meters.at(index);
  std::lock_guard lock(m.fault_mu);
  m.fault = fault;
  m.fault_since = std::chrono::steady_clock::now();
}

void MeterFleet::publish(Meter& m, std::string_view cmd, const std::string& payload) {
  const std::string t = topic("gw", m.product, cmd, m.sn);
  MQTTAsync_message msg = MQTTAsync_message_initializer;
  msg.payload = const_cast<char*>(payload.data());
  msg.payloadlen = static_cast<int>(payload.size());
  msg.qos = m_opt.qos;
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  MQTTAsync_sendMessage(m.handle, t.c_str(), &msg, &ro);
}

void MeterFleet::on_connected(Meter& m) {
  const std::string filter = topic("server", m.product, "+", m.sn);
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  MQTTAsync_subscribe(m.handle, filter.c_str(), m_opt.qos, &ro);
  if (m_opt.connect.birth) { // --birth-*: after every connect, before the meter's own messages
    const auto& b = *m_opt.connect.birth;
    const std::string bt = expand_sn(b.topic, m.sn), bp = expand_sn(b.payload, m.sn);
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    msg.payload = const_cast<char*>(bp.data());
    msg.payloadlen = static_cast<int>(bp.size());
    msg.qos = b.qos;
    msg.retained = b.retain ? 1 : 0;
    MQTTAsync_responseOptions bro = MQTTAsync_responseOptions_initializer;
    MQTTAsync_sendMessage(m.handle, bt.c_str(), &msg, &bro);
  }
  const TimePoint t = now();
  publish(m, "login", login_payload(m.sn, t));
  publish(m, "para", para_payload(m.sn, m.sn, m.meter_name, t, m.up_interval_minutes));
  std::lock_guard lock(m_mu);
  ++m_stats.logins;
  ++m_stats.paras;
  if (m_opt.connect.birth) ++m_stats.births;
}

void MeterFleet::on_downlink(Meter& m, std::string_view, std::string_view payload) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  {
    std::lock_guard lock(m_mu);
    ++m_stats.downlinks;
  }
  if (parser.parse(payload.data(), payload.size(), true).get_object().get(obj) != simdjson::SUCCESS) return;
  const auto type = get_string(obj, json_key::type);
  if (!type) return;
  if (obj.at_key("res").error() == simdjson::SUCCESS) { // the platform's reply to our message
    // A refused login (res 0, reference §3.1) silences the meter until a new
    // login succeeds; the retry period is [INVENTED] (the sources give none).
    const bool refused = *type == "login" && get_int(obj, "res").value_or(1) == 0;
    if (refused) m.relogin_at = (std::chrono::steady_clock::now() + k_relogin).time_since_epoch().count();
    if (*type == "login") {
      m.refused = refused;
      // §3.2: 5 to 10 s after the login reply the device asks for the time once.
      if (!refused) m.time_at = (std::chrono::steady_clock::now() + m_opt.time_delay).time_since_epoch().count();
    }
    std::lock_guard lock(m_mu);
    ++m_stats.replies;
    if (refused) ++m_stats.refused;
    return;
  }
  if (*type == "para") {
    std::optional<std::int64_t> minutes = get_int(obj, "upInterval");
    if (auto s = get_string(obj, "upInterval")) minutes = std::atoll(std::string(*s).c_str());
    if (minutes && *minutes > 0) {
      m.up_interval_minutes = static_cast<int>(*minutes);
      m.refresh = true; // the next data goes out now, then on the new period
    }
    publish(m, "para", reply_payload("para", 1));
  } else if (*type == "data" || *type == "refresh") {
    m.refresh = true;
  }
}

void MeterFleet::on_connect_success(Meter* mm) {
  mm->connected = true;
  mm->connecting = false;
  mm->backoff = mm->fleet->m_opt.connect.reconnect_min;
  mm->next_heart = std::chrono::steady_clock::now() + mm->fleet->m_opt.heart;
  mm->refresh = true; // first data right after login and para
  mm->fleet->on_connected(*mm);
}

void MeterFleet::on_connect_failure(Meter* mm) {
  mm->connecting = false;
  mm->retry_at = std::chrono::steady_clock::now() + mm->backoff;
  mm->backoff = std::min(mm->backoff * 2, mm->fleet->m_opt.connect.reconnect_max);
}

bool MeterFleet::offline_by_fault(Meter& m, std::chrono::steady_clock::time_point t) {
  std::lock_guard lock(m.fault_mu);
  if (!m.fault) return false;
  if (m.fault->kind == MeterFault::Kind::offline) return true;
  if (m.fault->kind != MeterFault::Kind::flap) return false;
  const auto cycle = m.fault->offline + m.fault->online;
  if (cycle.count() <= 0) return true;
  const auto phase = std::chrono::duration_cast<std::chrono::milliseconds>(t - m.fault_since) % cycle;
  return phase < m.fault->offline;
}

void MeterFleet::connect(Meter& m, std::chrono::steady_clock::time_point t) {
  const bool v5 = m_opt.connect.version == 5;
  MQTTAsync_connectOptions c = MQTTAsync_connectOptions_initializer;
  MQTTAsync_connectOptions c5 = MQTTAsync_connectOptions_initializer5;
  if (v5) c = c5;
  c.keepAliveInterval = static_cast<int>(m_opt.connect.keepalive.count());
  if (v5)
    c.cleanstart = m_opt.connect.clean ? 1 : 0;
  else
    c.cleansession = m_opt.connect.clean ? 1 : 0;
  c.context = &m;
  c.username = m_opt.connect.username.empty() ? nullptr : m_opt.connect.username.c_str();
  c.password = m_opt.connect.password.empty() ? nullptr : m_opt.connect.password.c_str();
  c.ssl = m_tls ? &m_ssl : nullptr;
  c.connectTimeout = static_cast<int>(m_opt.connect.connect_timeout.count());
  MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
  if (m_opt.connect.will) {
    will.topicName = m.will_topic.c_str();
    will.message = m.will_payload.c_str();
    will.qos = m_opt.connect.will->qos;
    will.retained = m_opt.connect.will->retain ? 1 : 0;
    c.will = &will;
  }
  MQTTProperties props = MQTTProperties_initializer;
  if (v5) {
    if (m_opt.connect.session_expiry) {
      MQTTProperty p{};
      p.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
      p.value.integer4 = *m_opt.connect.session_expiry;
      MQTTProperties_add(&props, &p);
    }
    c.connectProperties = &props;
    c.onSuccess5 = [](void* ctx, MQTTAsync_successData5*) { on_connect_success(static_cast<Meter*>(ctx)); };
    c.onFailure5 = [](void* ctx, MQTTAsync_failureData5*) { on_connect_failure(static_cast<Meter*>(ctx)); };
  } else {
    c.onSuccess = [](void* ctx, MQTTAsync_successData*) { on_connect_success(static_cast<Meter*>(ctx)); };
    c.onFailure = [](void* ctx, MQTTAsync_failureData*) { on_connect_failure(static_cast<Meter*>(ctx)); };
  }
  m.connecting = true;
  if (MQTTAsync_connect(m.handle, &c) != MQTTASYNC_SUCCESS) {
    m.connecting = false;
    m.retry_at = t + m.backoff;
  }
  MQTTProperties_free(&props);
}

void MeterFleet::send_data(Meter& m, TimePoint wall, std::vector<std::pair<std::string, double>>& values) {
  // The message's time has whole seconds: take the values at that second.
  const TimePoint stamp = std::chrono::floor<std::chrono::seconds>(wall);
  bool missing = false;
  {
    std::lock_guard lock(m.fault_mu);
    missing = m.fault && m.fault->kind == MeterFault::Kind::missing;
  }
  values.clear();
  if (m.data)
    m.data(stamp, values);
  else
    for (const auto& key : sim_data_keys())
      values.emplace_back(key, m_opt.values(m.sn, key, stamp));
  if (m.format == DataFormat::type) {
    publish(m, "data", data_payload(m.sn, m.sn, m.meter_name, stamp, missing, values));
  } else {
    std::vector<std::pair<int, double>> points;
    if (!missing) // a failed reading: the list carries only the serial [INVENTED; S5 shows no such case]
      for (const auto& [key, v] : values)
        if (const auto id = point_id_of(key)) points.emplace_back(*id, v);
    std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    publish(m, "data", point_list_payload(m.sn, stamp, points, m.iccid_sent ? std::string() : iccid_of(m.sn)));
    m.iccid_sent = true; // §5: sent once after power-up
  }
  {
    std::lock_guard lock(m_mu);
    ++m_stats.datas;
  }
  if (!m.alarms) return;
  values.clear();
  m.alarms(stamp, values);
  if (m.last_alarms.empty()) // before the first alarm message: every word clear
    for (const auto& [k, v] : values)
      m.last_alarms.emplace_back(k, 0.0);
  if (values != m.last_alarms) {
    publish(m, "alarm", alarm_payload(m.sn, m.meter_name, stamp, values));
    m.last_alarms = values;
    std::lock_guard lock(m_mu);
    ++m_stats.alarms;
  }
}

void MeterFleet::schedule_loop() {
  // Connect gradually: a burst of 1,000 CONNECTs at once would hit the broker's listen backlog.
  std::size_t next_to_start = 0;
  std::vector<std::pair<std::string, double>> values;
  while (!m_stop) {
    const auto t = std::chrono::steady_clock::now();
    std::size_t started = 0;
    for (std::size_t i = 0; i < m_meters.size(); ++i) {
      Meter& m = *m_meters[i];
      if (offline_by_fault(m, t)) {
        if (m.connected) { // the fault takes the meter off the network
          MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
          d.timeout = 0;
          MQTTAsync_disconnect(m.handle, &d);
          m.connected = false;
        }
        m.down_by_fault = true;
        if (i >= next_to_start) next_to_start = i + 1;
        continue;
      }
      if (m.down_by_fault) {
        m.down_by_fault = false;
        m.retry_at = t;
      }
      if (!m.connected && !m.connecting && t >= m.retry_at && (i < next_to_start || started < 50)) {
        if (i >= next_to_start) {
          next_to_start = i + 1;
          ++started;
        }
        connect(m, t);
        continue;
      }
      if (!m.connected) continue;
      {
        std::lock_guard lock(m.fault_mu);
        if (m.fault && m.fault->kind == MeterFault::Kind::silent) continue;
      }
      const TimePoint wall = now();
      if (m.refused) {
        if (t.time_since_epoch().count() >= m.relogin_at) {
          m.relogin_at = (t + k_relogin).time_since_epoch().count();
          publish(m, "login", login_payload(m.sn, wall));
          std::lock_guard lock(m_mu);
          ++m_stats.logins;
        }
        continue;
      }
      if (const auto at = m.time_at.load(); at != 0 && t.time_since_epoch().count() >= at) {
        m.time_at = (t + m_opt.time_period).time_since_epoch().count(); // then every 24 h (§3.2)
        publish(m, "time", time_payload(m.sn, wall));
        std::lock_guard lock(m_mu);
        ++m_stats.times;
      }
      if (t >= m.next_heart) {
        publish(m, "heart", heart_payload(m.sn, wall));
        m.next_heart = t + m_opt.heart;
        std::lock_guard lock(m_mu);
        ++m_stats.hearts;
      }
      if (m.refresh.exchange(false) || t >= m.next_data) {
        send_data(m, wall, values);
        const auto period =
            m.fast ? *m.fast : std::chrono::milliseconds(std::chrono::minutes(m.up_interval_minutes.load()));
        m.next_data = t + period;
      }
    }
    std::this_thread::sleep_for(20ms);
  }
}

} // namespace iot::acrel

#include "iot/core/signals.hpp"
#include "iot/record/output.hpp"
#include "iot/record/records.hpp"

namespace iot::acrel {
ExitCode run_fleet(const FleetOptions& options, std::optional<std::chrono::milliseconds> duration, int out_fd) {
  MeterFleet fleet(options);
  fleet.start();
  const auto start = std::chrono::steady_clock::now();
  bool all_up = false;
  while (!stop_requested()) {
    if (duration && std::chrono::steady_clock::now() - start >= *duration) break;
    std::this_thread::sleep_for(50ms);
    if (!all_up && fleet.stats().connected == options.meters) {
      all_up = true;
      log::info(
          "all {} meters connected after {} ms", options.meters,
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
    }
  }
  const FleetStats s = fleet.stats();
  fleet.stop();
  LineSink sink(out_fd);
  std::vector<record::Counter> counters;
  s.append_to(counters, options.meters, options.connect.birth.has_value());
  write_record(sink,
               record::Stats{.ts = now(), .tool = "iot-mqtt-bridge", .command = "acrel-sim", .counters = counters});
  return ExitCode::ok;
}

void FleetStats::append_to(std::vector<record::Counter>& counters, std::uint64_t meters, bool with_births) const {
  namespace f = fields;
  counters.insert(counters.end(), {{f::meters, meters},
                                   {f::meters_connected, connected},
                                   {f::logins, logins},
                                   {f::paras, paras},
                                   {f::hearts, hearts},
                                   {f::datas, datas},
                                   {f::downlinks, downlinks},
                                   {f::replies, replies},
                                   {f::refused, refused},
                                   {f::times, times},
                                   {f::alarms, alarms}});
  if (with_births) counters.push_back({f::births, births});
}
} // namespace iot::acrel
