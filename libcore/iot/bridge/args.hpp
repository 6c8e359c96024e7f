#pragma once
// Command-line values of iot-mqtt-bridge as typed, and their checked
// conversion to the option structs (main.cpp only binds CLI11 to these fields).
#include <string>
#include <vector>

#include "iot/acrel/meter_sim.hpp"
#include "iot/bridge/pub.hpp"
#include "iot/bridge/sub.hpp"

namespace iot::bridge {

struct ConnectArgs {
  // The first is the primary; pub and sub fail over to the others in turn.
  std::vector<std::string> brokers{"mqtt://127.0.0.1:1883"};
  std::string client_id;
  std::string version = "3.1.1";
  std::string keepalive = "30s";
  bool no_clean = false;
  std::string session_expiry;
  std::string username;
  std::string password_file;
  std::string password_env;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure = false;
  std::string will_topic, will_payload;
  int will_qos = 0;
  bool will_retain = false;
  std::string birth_topic, birth_payload;
  int birth_qos = 0;
  bool birth_retain = false;
  std::string reconnect_min = "250ms";
  std::string reconnect_max = "30s";
};

struct PubArgs {
  std::string topic;
  std::vector<std::string> topic_for; // KIND=TEMPLATE
  bool qos_given = false;             // -q was on the command line
  bool qos_from_record = false;
  std::string payload_field;
  int qos = 0;
  bool retain = false;
  std::size_t window = 1000;
  std::string max_payload = "1M";
  std::string spool;
  std::string spool_max = "1G";
  std::string spool_segment = "16M";
  std::string spool_full = "block";
  std::string drain_timeout;
  std::string stats_every;
  bool no_stats = false;
};

struct SubArgs {
  std::vector<std::string> topics;
  int qos = 0;
  std::uint64_t count = 0;
  std::string answer;
  std::string stats_every;
};

struct FleetArgs {
  std::size_t meters = 10;
  std::uint64_t first_sn = 26010100000001;
  std::string product = "ADW300";
  std::string meter_name = "adw300";
  int up_interval = 5;
  std::string fast;
  std::string heart = "60s";
  int qos = 1;
  std::string duration;
  std::string format = "type";
};

// Throw usage_error (or config_error for an unreadable password file) when a value is wrong.
mqtt::ConnectOptions to_connect_options(const ConnectArgs& a);
PubOptions to_pub_options(const ConnectArgs& c, const PubArgs& a);
SubOptions to_sub_options(const ConnectArgs& c, const SubArgs& a);
iot::acrel::FleetOptions to_fleet_options(const ConnectArgs& c, const FleetArgs& a);
std::optional<std::chrono::milliseconds> fleet_duration(const FleetArgs& a);

} // namespace iot::bridge
