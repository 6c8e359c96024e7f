#include "iot/acrel/meter_sim.hpp"

#include <simdjson.h>
#include <sys/resource.h>

#include <cmath>
#include <cstring>

#include "iot/acrel/protocol.hpp"
#include "iot/cli/log.hpp"
#include "iot/core/error.hpp"
#include "iot/record/record.hpp"

namespace iot::acrel {

using namespace std::chrono_literals;

constexpr auto k_relogin = 10s; // [INVENTED] login retry after a refusal

namespace {
struct KeyModel {
  const char* key;
  double base;
  double step;
};
// Plausible magnitudes for a small three-phase load (secondary side).
constexpr KeyModel k_models[] = {
    {"ua", 220.0, 0.1},  {"ub", 221.0, 0.1},  {"uc", 219.0, 0.1},  {"ia", 5.0, 0.01},     {"ib", 4.5, 0.01},
    {"ic", 4.0, 0.01},   {"pa", 1.1, 0.001},  {"pb", 0.99, 0.001}, {"pc", 0.88, 0.001},   {"p", 2.97, 0.003},
    {"qa", 0.1, 0.001},  {"qb", 0.09, 0.001}, {"qc", 0.08, 0.001}, {"q", 0.27, 0.003},    {"pfa", 0.99, 0},
    {"pfb", 0.98, 0},    {"pfc", 0.97, 0},    {"pf", 0.98, 0},     {"hz", 50.0, 0.01},    {"pt", 1, 0},
    {"ct", 40, 0},       {"wh", 1000.0, 1.5}, {"wl", 0.0, 0},      {"varh", 100.0, 0.25}, {"varl", 0.0, 0},
};
}  // namespace

const std::vector<std::string>& sim_data_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& m : k_models) k.emplace_back(m.key);
    return k;
  }();
  return keys;
}

double default_value(const std::string& meter, const std::string& key, TimePoint) {
  int n = 0;
  if (meter.size() >= 2) n = (meter[meter.size() - 2] - '0') * 10 + (meter.back() - '0');
  for (const auto& m : k_models)
    if (key == m.key) {
      // Rounded to 3 decimals so the JSON text is short and exact.
      const double v = m.base + n * m.step;
      return std::round(v * 1000.0) / 1000.0;
    }
  return 0.0;
}

struct MeterFleet::Meter {
  MeterFleet* fleet = nullptr;
  std::string sn;
  std::string product;
  std::string meter_name;
  std::optional<std::chrono::milliseconds> fast;
  DataFn data;
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
    for (std::size_t i = 0; i < m_opt.meters; ++i)
      m_opt.meter_list.push_back(MeterSpec{sn(i), {}, {}, 0, {}, {}});
  m_opt.meters = m_opt.meter_list.size();
  for (auto& spec : m_opt.meter_list) {
    auto m = std::make_unique<Meter>();
    m->fleet = this;
    m->sn = spec.sn;
    m->product = spec.product.empty() ? m_opt.product : spec.product;
    m->meter_name = spec.meter_name.empty() ? m_opt.meter_name : spec.meter_name;
    m->fast = spec.fast ? spec.fast : m_opt.fast;
    m->data = std::move(spec.data);
    m->up_interval_minutes = spec.up_interval_minutes > 0 ? spec.up_interval_minutes : m_opt.up_interval_minutes;
    m->client_id = "acrel-" + m->sn;
    m->backoff = m_opt.connect.reconnect_min;
    MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer;
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
          mm->fleet->on_downlink(*mm, t, std::string_view(static_cast<const char*>(msg->payload),
                                                          static_cast<std::size_t>(msg->payloadlen)));
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

void MeterFleet::start() { m_thread = std::thread([this] { schedule_loop(); }); }

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
  for (const auto& m : m_meters) s.connected += m->connected ? 1 : 0;
  return s;
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
  const TimePoint t = now();
  publish(m, "login", login_payload(m.sn, t));
  publish(m, "para", para_payload(m.sn, m.sn, m.meter_name, t, m.up_interval_minutes));
  std::lock_guard lock(m_mu);
  ++m_stats.logins;
  ++m_stats.paras;
}

void MeterFleet::on_downlink(Meter& m, std::string_view, std::string_view payload) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  {
    std::lock_guard lock(m_mu);
    ++m_stats.downlinks;
  }
  if (parser.parse(payload.data(), payload.size(), true).get_object().get(obj) != simdjson::SUCCESS) return;
  const auto type = get_string(obj, "type");
  if (!type) return;
  if (obj.at_key("res").error() == simdjson::SUCCESS) {  // the platform's reply to our message
    // A refused login (res 0, reference §3.1) silences the meter until a new
    // login succeeds; the retry period is [INVENTED] (the sources give none).
    const bool refused = *type == "login" && get_int(obj, "res").value_or(1) == 0;
    if (refused) m.relogin_at = (std::chrono::steady_clock::now() + k_relogin).time_since_epoch().count();
    if (*type == "login") m.refused = refused;
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
      m.refresh = true;  // the next data goes out now, then on the new period
    }
    publish(m, "para", reply_payload("para", 1));
  } else if (*type == "data" || *type == "refresh") {
    m.refresh = true;
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
      if (!m.connected && !m.connecting && t >= m.retry_at && (i < next_to_start || started < 50)) {
        if (i >= next_to_start) {
          next_to_start = i + 1;
          ++started;
        }
        MQTTAsync_connectOptions c = MQTTAsync_connectOptions_initializer;
        c.keepAliveInterval = static_cast<int>(m_opt.connect.keepalive.count());
        c.cleansession = 1;
        c.context = &m;
        c.username = m_opt.connect.username.empty() ? nullptr : m_opt.connect.username.c_str();
        c.password = m_opt.connect.password.empty() ? nullptr : m_opt.connect.password.c_str();
        c.ssl = m_tls ? &m_ssl : nullptr;
        c.onSuccess = [](void* ctx, MQTTAsync_successData*) {
          auto* mm = static_cast<Meter*>(ctx);
          mm->connected = true;
          mm->connecting = false;
          mm->backoff = mm->fleet->m_opt.connect.reconnect_min;
          mm->next_heart = std::chrono::steady_clock::now() + mm->fleet->m_opt.heart;
          mm->refresh = true;  // first data right after login and para
          mm->fleet->on_connected(*mm);
        };
        c.onFailure = [](void* ctx, MQTTAsync_failureData*) {
          auto* mm = static_cast<Meter*>(ctx);
          mm->connecting = false;
          mm->retry_at = std::chrono::steady_clock::now() + mm->backoff;
          mm->backoff = std::min(mm->backoff * 2, mm->fleet->m_opt.connect.reconnect_max);
        };
        m.connecting = true;
        if (MQTTAsync_connect(m.handle, &c) != MQTTASYNC_SUCCESS) {
          m.connecting = false;
          m.retry_at = t + m.backoff;
        }
        continue;
      }
      if (!m.connected) continue;
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
      if (t >= m.next_heart) {
        publish(m, "heart", heart_payload(m.sn, wall));
        m.next_heart = t + m_opt.heart;
        std::lock_guard lock(m_mu);
        ++m_stats.hearts;
      }
      if (m.refresh.exchange(false) || t >= m.next_data) {
        // The message's time has whole seconds: take the values at that second.
        const TimePoint stamp = std::chrono::floor<std::chrono::seconds>(wall);
        values.clear();
        if (m.data)
          m.data(stamp, values);
        else
          for (const auto& key : sim_data_keys())
            values.emplace_back(key, m_opt.values(m.sn, key, stamp));
        publish(m, "data", data_payload(m.sn, m.sn, m.meter_name, stamp, false, values));
        const auto period =
            m.fast ? *m.fast : std::chrono::milliseconds(std::chrono::minutes(m.up_interval_minutes.load()));
        m.next_data = t + period;
        std::lock_guard lock(m_mu);
        ++m_stats.datas;
      }
    }
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace iot::acrel

#include "iot/core/signals.hpp"
#include "iot/record/output.hpp"

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
      log::info("all {} meters connected after {} ms", options.meters,
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
    }
  }
  const FleetStats s = fleet.stats();
  fleet.stop();
  LineSink sink(out_fd);
  {
    RecordLine r(sink);
    r.w.begin_record(now(), "stats");
    r.w.field("tool", "iot-mqtt-bridge");
    r.w.field("command", "acrel-sim");
    r.w.field("meters", static_cast<std::uint64_t>(options.meters));
    r.w.field("connected", s.connected);
    r.w.field("logins", s.logins);
    r.w.field("paras", s.paras);
    r.w.field("hearts", s.hearts);
    r.w.field("datas", s.datas);
    r.w.field("downlinks", s.downlinks);
    r.w.field("replies", s.replies);
    r.w.field("refused", s.refused);
    r.w.end_object();
  }
  return ExitCode::ok;
}
}  // namespace iot::acrel
