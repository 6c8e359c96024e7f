#pragma once
// One MQTT connection on libmosquitto, for `pub` and `sub`.
//
// Why not Paho, which the Acrel meter fleet uses: Paho's asynchronous
// client hands every message to its own send thread, and its in-flight
// bookkeeping is a linked list. On the project's machines a bare Paho loop
// tops out near 50-100k QoS 0 and 13-25k QoS 1 messages/s on loopback, while
// `mosquitto_pub -l` writes 160-280k lines/s. libmosquitto writes from its
// network thread straight out of a packet queue: a bare loop on the same
// machine published 560k QoS 0 and 49k acknowledged QoS 1 messages/s
// (docs/benchmarks.md has the tool's own figures). Paho's receive path costs
// `sub` about a third more CPU than mosquitto_sub's.
//
// Acknowledging only what was written (for `sub`): libmosquitto queues the
// PUBACK of an incoming QoS 1 message before it calls `message`, but only this
// link's thread writes queued packets, and it does so after `message` returns.
// So a `message` handler that writes its line before returning acknowledges
// only what it wrote; one that cannot write calls abort(), which shuts the
// socket before the queued acknowledgement can leave (the broker sends the
// message again on the next connection of a kept session).
//
// The link owns one network thread. It connects in the background and reports
// every CONNACK. Every failure (TCP refused, closed before or after CONNACK, TLS,
// a refused CONNECT, a connection that dies soon after it was made) waits an
// exponential backoff with jitter before the next attempt, also when the broker
// is not up at start; a connection that lasted `k_stable` resets it. Each
// distinct cause is reported on stderr at once; repeats of the same cause at
// most once a minute, with their count. With several brokers (options.brokers)
// each failure moves to the next one, and the backoff grows once per round,
// like Paho's serverURIs. QoS 1/2 messages handed over stay with libmosquitto
// across a lost connection and are sent again (DUP set) after the reconnect
// (MQTT 3.1.1 §4.4, MQTT 5.0 §4.4); QoS 0 messages not yet written are lost
// with the socket, which the owner learns from `lost` (it keeps a copy).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "iot/mqtt/options.hpp"

struct mosquitto;
struct mosquitto_message;
struct mqtt5__property;

namespace iot::mqtt {

struct Incoming {
  std::string_view topic;
  std::string_view payload;
  int qos = 0;
  bool retain = false;
  const mqtt5__property* properties = nullptr;
};

class Link {
public:
  struct Events {
    // After every accepted CONNACK (network thread; do not block).
    std::function<void(bool session_present)> connected;
    // The connection went away (network thread; do not block).
    std::function<void(const std::string& cause)> lost;
    // Message `mid` is done: QoS 0 written to the socket, QoS 1 PUBACK, QoS 2
    // PUBCOMP. `reason` is the MQTT 5 reason code (0x80 and up: refused by the
    // broker, MQTT 5.0 §3.4.2.1); 0 for MQTT 3.1.1. Network thread; do not block.
    std::function<void(int mid, int reason)> completed;
    // A failure that retrying cannot cure (bad credentials, certificate rejected).
    std::function<void(const std::string& why)> fatal;
    // An incoming message (network thread). `properties` is libmosquitto's
    // MQTT 5 property list, or null.
    std::function<void(const Incoming& message)> message;
  };

  Link(ConnectOptions options, Events events);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Starts the network thread; returns at once.
  void start();
  // Lets queued packets go out for up to `grace`, disconnects, and stops.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(500));

  enum class Sent { ok, no_connection, too_large, failed };
  // Hands one message to the network thread; any thread. `mid` receives the
  // packet id `completed` will report. QoS 0 needs a connection; QoS 1/2 are
  // queued by libmosquitto and go out after the next CONNACK.
  Sent publish(const std::string& topic, std::string_view payload, int qos, bool retain, int& mid);
  // The message for the last `failed`, for diagnostics.
  std::string last_error() const;
  // Subscribes to `filters` (network thread, from `connected`, or any thread).
  // A filter the broker refuses is reported on stderr.
  void subscribe(const std::vector<std::pair<std::string, int>>& filters);
  // Drops the connection at once, without DISCONNECT and without writing what
  // is queued (acknowledgements included); the link then stops. Any thread.
  void abort();

  bool connected() const { return m_connected.load(); }
  bool fatal() const { return m_fatal.load(); }
  std::uint64_t connects() const { return m_connects.load(); }
  // Connection attempts, successful or not.
  std::uint64_t attempts() const { return m_attempts.load(); }
  // The broker's Maximum Packet Size (MQTT 5.0 §3.2.2.3.6), 0 when not announced.
  std::uint32_t broker_max_packet() const { return m_broker_max_packet.load(); }
  // The broker of the current (or last) connection.
  std::string uri() const;

private:
  static void on_connect(mosquitto* m, void* self, int rc, int flags, const mqtt5__property* props);
  static void on_disconnect(mosquitto* m, void* self, int rc, const mqtt5__property* props);
  static void on_publish(mosquitto* m, void* self, int mid, int reason, const mqtt5__property* props);
  static void on_log(mosquitto* m, void* self, int level, const char* text);
  static void on_message(mosquitto* m, void* self, const struct mosquitto_message* msg, const mqtt5__property* props);
  static void on_subscribe(mosquitto* m, void* self, int mid, int count, const int* granted,
                           const mqtt5__property* props);

  struct Broker {
    std::string uri;
    std::string host;
    int port = 1883;
  };

  void run();
  bool try_connect(std::string& cause);
  void declare_fatal(const std::string& why);
  // One failed attempt or a short-lived connection: report `cause`
  // (rate-limited), move to the next broker, and wait.
  void failed(const std::string& cause);
  void wait_backoff();
  void report(const std::string& cause);
  // Whether an OpenSSL error cannot be cured by trying again.
  static bool tls_error_is_permanent(const std::string& tls_error, std::string& hint);

  ConnectOptions m_options;
  Events m_events;
  std::vector<Broker> m_brokers;
  std::size_t m_current = 0; // index into m_brokers (network thread; uri() reads it under m_mutex)
  std::size_t m_failed_in_round = 0;
  mosquitto* m_mosq = nullptr;
  mqtt5__property* m_connect_props = nullptr;

  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopping = false;
  std::chrono::milliseconds m_grace{500};
  std::chrono::milliseconds m_backoff{};
  std::string m_tls_error; // the first OpenSSL error of the current attempt
  std::string m_last_error;
  bool m_socket_open = false; // network thread only
  bool m_had_connack = false; // network thread only: the current socket got a CONNACK
  std::chrono::steady_clock::time_point m_connected_at{};
  bool m_fixed_client_id = false; // --client-id given: another process may use it too
  int m_short_lived = 0;          // connections in a row lost soon after their CONNACK
  std::string m_disconnect_cause; // why the broker ended the last connection (on_disconnect)
  // Rate limiting of the diagnostics, per cause (network thread only).
  struct Report {
    std::chrono::steady_clock::time_point at{};
    std::uint64_t repeats = 0;
  };
  std::map<std::string, Report> m_reports;
  std::uint64_t m_failures_since_connect = 0;
  std::uint64_t m_random = 0;
  std::atomic<bool> m_connected{false};
  std::atomic<bool> m_fatal{false};
  std::atomic<bool> m_aborted{false};
  std::atomic<std::uint64_t> m_connects{0};
  std::atomic<std::uint64_t> m_attempts{0};
  std::atomic<std::uint32_t> m_broker_max_packet{0};
  std::thread m_thread;
};

} // namespace iot::mqtt
