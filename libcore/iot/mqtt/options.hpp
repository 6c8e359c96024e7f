#pragma once
// Connection settings shared by `pub`, `sub` and the Acrel meter simulator.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace iot::mqtt {

struct BrokerUrl {
  std::string host;
  int port = 1883;
  bool tls = false;
  // The URI Paho understands: tcp://host:port or ssl://host:port.
  std::string paho_uri() const;
};

// Parses mqtt://HOST[:PORT] (default port 1883), mqtts://HOST[:PORT] (8883),
// and Paho's own tcp:// and ssl://. IPv6 hosts go in brackets: mqtt://[::1]:1883.
// Throws usage_error on anything else.
BrokerUrl parse_broker_url(const std::string& url);

// A message to publish: a will or birth message here, and each message iot-mqtt-bridge pub sends.
struct Message {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
};

struct ConnectOptions {
  std::string broker = "mqtt://127.0.0.1:1883";
  // More brokers to fail over to, tried in turn after `broker` (pub and sub).
  std::vector<std::string> failover;
  std::string client_id; // empty: "iot-mqtt-bridge-<host>-<pid>"
  int version = 4;       // 4 = MQTT 3.1.1, 5 = MQTT 5
  std::chrono::seconds keepalive{30};
  bool clean = true;                           // clean session (3.1.1) / clean start (5)
  std::optional<std::uint32_t> session_expiry; // MQTT 5 session expiry interval, seconds
  std::string username;
  std::string password; // filled from a file or an environment variable, never argv
  // TLS (mqtts://). Verification of the server certificate and its host name is on
  // unless `insecure`.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure = false;
  std::optional<Message> will;
  std::optional<Message> birth; // published after every (re)connect
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{std::chrono::seconds(30)};
  std::chrono::seconds connect_timeout{10};
};

// The password from `file` (first line, without its newline) or from the
// environment variable `env`. Throws config_error when the file cannot be read or
// the variable is unset. Returns "" when neither is given.
std::string read_password(const std::string& file, const std::string& env);

// A client id for this process: "<prefix>-<hostname>-<pid>".
std::string default_client_id(const std::string& prefix);

} // namespace iot::mqtt
