#pragma once
// One MQTT connection on Paho's asynchronous C client, kept up for as long as
// the tool runs: it connects in the background, retries with exponential
// backoff (also when the broker is not up at start), and reports every
// (re)connect so the owner can resubscribe or resend. Paho's own offline
// buffer and file persistence are not used (MQTTCLIENT_PERSISTENCE_NONE):
// pub keeps its own window and spool.
#include <MQTTAsync.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "iot/mqtt/options.hpp"

namespace iot::mqtt {

class Client {
public:
  struct Events {
    // After every successful CONNACK (on a Paho thread; do not block).
    std::function<void(bool session_present)> connected;
    // The connection went away (on a Paho thread; do not block).
    std::function<void(const std::string& cause)> lost;
    // An incoming PUBLISH; return true to acknowledge it, false to have Paho offer
    // it again later. Paho frees the message.
    std::function<bool(std::string_view topic, MQTTAsync_message& message)> message;
    // A failure that retrying cannot cure (bad credentials, certificate rejected).
    std::function<void(const std::string& why)> fatal;
  };

  Client(ConnectOptions options, Events events);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts connecting; returns at once.
  void start();
  // Disconnects (waiting up to `grace` for Paho to finish sending) and stops retrying.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(500));

  bool connected() const { return m_connected.load(); }
  // Waits until connected; false when `timeout` passes first or a fatal error happened.
  bool wait_connected(std::chrono::milliseconds timeout);
  MQTTAsync handle() const { return m_handle; }
  const ConnectOptions& options() const { return m_options; }
  std::uint64_t connects() const { return m_connects.load(); }
  // The broker's Maximum Packet Size (MQTT 5 CONNACK), 0 when not announced.
  std::uint32_t broker_max_packet() const { return m_broker_max_packet.load(); }
  bool fatal() const { return m_fatal.load(); }
  const std::string& uri() const { return m_uri; }

private:
  static void on_connect_success(void* ctx, MQTTAsync_successData* data);
  static void on_connect_failure(void* ctx, MQTTAsync_failureData* data);
  static void on_connect_success5(void* ctx, MQTTAsync_successData5* data);
  static void on_connect_failure5(void* ctx, MQTTAsync_failureData5* data);
  static void on_connection_lost(void* ctx, char* cause);
  static int on_message(void* ctx, char* topic, int topic_len, MQTTAsync_message* message);
  static int on_ssl_error(const char* str, std::size_t len, void* ctx);

  void connected_now(bool session_present);
  void failed_now(int code, const char* message, bool permanent);
  void supervise();
  void attempt_connect();

  ConnectOptions m_options;
  Events m_events;
  std::string m_uri;
  MQTTAsync m_handle = nullptr;
  MQTTAsync_willOptions m_will = MQTTAsync_willOptions_initializer;
  MQTTAsync_SSLOptions m_ssl = MQTTAsync_SSLOptions_initializer;
  MQTTProperties m_connect_props = MQTTProperties_initializer;

  std::mutex m_mutex;
  std::condition_variable m_cv;
  enum class State { idle, connecting, connected, waiting } m_state = State::idle;
  std::chrono::steady_clock::time_point m_next_attempt{};
  std::chrono::milliseconds m_backoff{};
  bool m_stopping = false;
  bool m_ever_connected = false;
  int m_failures = 0;
  std::string m_ssl_error;
  std::atomic<bool> m_connected{false};
  std::atomic<bool> m_fatal{false};
  std::atomic<std::uint64_t> m_connects{0};
  std::atomic<std::uint32_t> m_broker_max_packet{0};
  std::thread m_thread;
};

}  // namespace iot::mqtt
