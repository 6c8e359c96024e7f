#pragma once
// A fleet of simulated Acrel meters (ADW300-4G style, each "transmitting
// directly", so gwSN = meterSN), each with its own MQTT connection. One
// process handles 1,000 meters: every meter is a Paho asynchronous client
// (Paho runs all of them on its two shared threads) and one scheduler thread
// publishes for all of them.
//
// Per meter, following §3.7 of the protocol notes: connect → subscribe
// /server/acrelHW/{product}/+/{SN} → login → para → data; then heart every
// 60 s and data every upInterval minutes (or every --fast period). 5 s after
// an accepted login the meter asks for the time (`time`, §3.2), then every
// 24 h. When its alarm status words (§6.3) change, checked with each data
// message, it sends an `alarm` message [INVENTED layout, §3.6]. `data` goes
// out in the acrelHW type-keyed form or as the 2025 point-id list (§4), per
// meter; the point-id list carries the ICCID (id 33) once after start. Downlinks:
// a `para` with "upInterval" changes the period and is acknowledged with
// {"type":"para","res":1} [the downlink form is UNCERTAIN; the ack is invented];
// a `data` downlink (the platform's "refresh" [INF]) sends data at once; a
// login reply with res 0 (refused) stops heart and data and repeats the login
// every 10 s [INVENTED] until one is accepted.
//
// Meters come either from `meters`/`first_sn` (all alike, values from
// `values`: iot-mqtt-bridge acrel-sim) or from `meter_list`, each with its own
// product, meterName, period and value function (iot-sim's mqtt:// ports, whose
// values come from the site file's generators). A `data` message is stamped
// with a whole second and its values are taken at that second, so a reader can
// recompute them from the message's `time`.
#include <MQTTAsync.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "iot/acrel/protocol.hpp"
#include "iot/core/time.hpp"
#include "iot/mqtt/options.hpp"
#include "iot/record/records.hpp"

namespace iot::acrel {

// The value of measurement `key` ("ua", "ia", "p", "wh" …) of `meter` (its SN)
// at time `t`. iot-sim plugs its generators in here.
using ValueFn = std::function<double(const std::string& meter, const std::string& key, TimePoint t)>;

// A deterministic default: base[key] + (last two digits of the SN) × step[key],
// independent of time, e.g. ua = 220 + n × 0.1 V. Tests recompute it.
double default_value(const std::string& meter, const std::string& key, TimePoint t);
// The keys a simulated meter sends in `data`, in order.
const std::vector<std::string>& sim_data_keys();

// Fills `out` (cleared by the caller) with the `data` values of one meter at `t`
// (keys of quantities(); "di" is the DI word), and its alarm words ("alarm1".."alarm3").
using DataFn = std::function<void(TimePoint t, std::vector<std::pair<std::string, double>>& out)>;

// A fault a meter shows (iot-sim's stdin `fault` command on a meter).
struct MeterFault {
  enum class Kind {
    silent,  // connected, but publishes nothing (a hung meter)
    offline, // disconnected until cleared
    flap,    // offline for `offline`, online for `online`, repeating
    missing, // data says meterStatus "missing" with zero values (a failed reading, S4)
  };
  Kind kind = Kind::silent;
  std::chrono::milliseconds offline{0}, online{0};
};

// One meter of FleetOptions::meter_list. Empty or unset fields take FleetOptions' values.
struct MeterSpec {
  std::string sn;
  std::string product;
  std::string meter_name;
  int up_interval_minutes = 0;
  std::optional<std::chrono::milliseconds> fast;
  DataFn data;                      // empty: sim_data_keys() with FleetOptions::values
  DataFn alarms;                    // empty: no alarm words (no alarm messages)
  std::optional<DataFormat> format; // empty: FleetOptions::format
  std::string client_id;            // empty: FleetOptions' (acrel-SN)
};

struct FleetOptions {
  iot::mqtt::ConnectOptions connect; // broker, credentials, TLS, reconnect backoff
  std::size_t meters = 1;
  std::uint64_t first_sn = 26010100000001; // 14 digits as in every example
  std::string product = "ADW300";          // topic level 3 [INVENTED value; S1 shows "null", code "AWT100"]
  std::string meter_name = "adw300";
  int up_interval_minutes = 5;
  std::optional<std::chrono::milliseconds> fast;              // data period override (tests, demos)
  std::chrono::milliseconds heart = std::chrono::seconds(60); // 60 s apart in the S4 capture
  int qos = 1;                                                // [UNCERTAIN] not stated by the sources
  ValueFn values = default_value;
  DataFormat format = DataFormat::type;
  // connect.client_id: empty → "acrel-{sn}"; "{sn}" in it is the meter's SN.
  // connect.will and connect.birth topics and payloads expand "{sn}" too.
  std::chrono::milliseconds time_delay = std::chrono::seconds(5); // login reply → time request (§3.2: 5-10 s)
  std::chrono::milliseconds time_period = std::chrono::hours(24);
  std::vector<MeterSpec> meter_list; // when not empty: these meters (`meters`, `first_sn` unused)
};

struct FleetStats {
  std::uint64_t connected = 0; // meters connected now
  std::uint64_t logins = 0, paras = 0, hearts = 0, datas = 0, downlinks = 0, replies = 0;
  std::uint64_t refused = 0; // login replies with res 0
  std::uint64_t times = 0, alarms = 0, births = 0;

  // Adds another fleet's counters (iot-sim sums its mqtt ports).
  FleetStats& operator+=(const FleetStats& o) {
    connected += o.connected;
    logins += o.logins;
    paras += o.paras;
    hearts += o.hearts;
    datas += o.datas;
    downlinks += o.downlinks;
    replies += o.replies;
    refused += o.refused;
    times += o.times;
    alarms += o.alarms;
    births += o.births;
    return *this;
  }

  // Appends these counters to a stats record's, after `meters` (how many meters
  // the fleet has), in the order iot-sim and acrel-sim both write them.
  void append_to(std::vector<record::Counter>& counters, std::uint64_t meters, bool with_births) const;
};

class MeterFleet {
public:
  explicit MeterFleet(FleetOptions options);
  ~MeterFleet();
  MeterFleet(const MeterFleet&) = delete;
  MeterFleet& operator=(const MeterFleet&) = delete;

  void start();
  void stop();
  FleetStats stats() const;
  std::string sn(std::size_t index) const;
  std::size_t size() const { return m_meters.size(); }
  // The meter with this SN.
  std::optional<std::size_t> find(std::string_view sn) const;
  // Sends data (and checks alarms) at once, e.g. after a value was set.
  void refresh(std::size_t index);
  // Sets or (nullopt) clears a meter's fault.
  void set_fault(std::size_t index, std::optional<MeterFault> fault);

private:
  struct Meter;
  void schedule_loop();
  void publish(Meter& m, std::string_view cmd, const std::string& payload);
  void on_connected(Meter& m);
  void on_downlink(Meter& m, std::string_view topic, std::string_view payload);

  FleetOptions m_opt;
  static void on_connect_success(Meter* m);
  static void on_connect_failure(Meter* m);
  void connect(Meter& m, std::chrono::steady_clock::time_point t);
  bool offline_by_fault(Meter& m, std::chrono::steady_clock::time_point t);
  void send_data(Meter& m, TimePoint wall, std::vector<std::pair<std::string, double>>& values);
  MQTTAsync_SSLOptions m_ssl = MQTTAsync_SSLOptions_initializer;
  bool m_tls = false;
  std::vector<std::unique_ptr<Meter>> m_meters;
  std::thread m_thread;
  std::atomic<bool> m_stop{false};
  mutable std::mutex m_mu;
  FleetStats m_stats;
};

} // namespace iot::acrel

#include "iot/core/exit_code.hpp"

namespace iot::acrel {
// `iot-mqtt-bridge acrel-sim`: runs a fleet until SIGINT/SIGTERM or `duration`,
// then writes a stats record to `out_fd`.
ExitCode run_fleet(const FleetOptions& options, std::optional<std::chrono::milliseconds> duration, int out_fd);
} // namespace iot::acrel
