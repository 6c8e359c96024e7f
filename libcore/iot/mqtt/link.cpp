#include "iot/mqtt/link.hpp"

#include <fmt/format.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"

namespace iot::mqtt {

namespace {

using namespace std::chrono_literals;

void init_library_once() {
  static const int once = [] { return mosquitto_lib_init(); }();
  (void)once;
}

// CONNACK refusals that another attempt will not change: MQTT 3.1.1 §3.2.2.3
// return codes 1 (protocol version), 2 (identifier), 4 (user name or password),
// 5 (not authorized); MQTT 5.0 §3.2.2.2 reason codes 0x84 (protocol version),
// 0x85 (client identifier), 0x86 (user name or password), 0x87 (not
// authorized), 0x8C (authentication method).
bool refusal_is_permanent(int version, int code) {
  if (version == 5) return code == 0x84 || code == 0x85 || code == 0x86 || code == 0x87 || code == 0x8C;
  return code == 1 || code == 2 || code == 4 || code == 5;
}

std::string refusal_text(int version, int code) {
  if (version == 5) return std::string("connection refused: ") + mosquitto_reason_string(code);
  switch (code) { // MQTT 3.1.1 §3.2.2.3
  case 1: return "connection refused: unacceptable protocol version";
  case 2: return "connection refused: client identifier rejected";
  case 3: return "connection refused: server unavailable";
  case 4: return "connection refused: bad user name or password";
  case 5: return "connection refused: not authorized";
  default: return "connection refused: return code " + std::to_string(code);
  }
}

} // namespace

Link::Link(ConnectOptions options, Events events) : m_options(std::move(options)), m_events(std::move(events)) {
  init_library_once();
  const BrokerUrl url = parse_broker_url(m_options.broker);
  m_brokers.push_back({url.paho_uri(), url.host, url.port});
  for (const std::string& other : m_options.failover) {
    const BrokerUrl u = parse_broker_url(other);
    if (u.tls != url.tls) throw usage_error("all --broker URLs must use the same scheme (mqtt:// or mqtts://)");
    m_brokers.push_back({u.paho_uri(), u.host, u.port});
  }
  m_random = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
             (static_cast<std::uint64_t>(::getpid()) << 32) ^ reinterpret_cast<std::uintptr_t>(this);
  if (m_random == 0) m_random = 1;
  m_fixed_client_id = !m_options.client_id.empty();
  if (m_options.client_id.empty()) m_options.client_id = default_client_id("iot-mqtt-bridge");
  m_mosq = mosquitto_new(m_options.client_id.c_str(), m_options.clean, this);
  if (m_mosq == nullptr)
    throw io_error("cannot create MQTT client for " + m_brokers.front().uri + ": " + std::strerror(errno));
  // A constructor that throws runs no destructor: free the client here.
  try {
    // Other threads call publish() while this link's thread runs the network loop.
    mosquitto_threaded_set(m_mosq, true);
    mosquitto_int_option(m_mosq, MOSQ_OPT_PROTOCOL_VERSION,
                         m_options.version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    // The owner keeps its own window (pub's --window); libmosquitto must not hold
    // messages back below it, or a message handed over just as the window opens
    // waits for an answer that never comes. The broker's Receive Maximum (MQTT 5.0
    // §3.2.2.3.3) still applies inside the library.
    mosquitto_int_option(m_mosq, MOSQ_OPT_SEND_MAXIMUM, 65535);
    // MQTT 5.0 §3.1.2.11.3 Receive Maximum. With libmosquitto's default of 20,
    // a QoS 2 subscription to Mosquitto 2.0.11 was dropped as a protocol error
    // after the first 20 messages (tests/e2e/mqtt-bridge/09-pub-options.sh);
    // acknowledgements here leave as fast as lines are written anyway.
    mosquitto_int_option(m_mosq, MOSQ_OPT_RECEIVE_MAXIMUM, 65535);
    // Small records are the normal case: send each at once rather than wait for
    // the previous segment to be acknowledged (Nagle).
    mosquitto_int_option(m_mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_v5_callback_set(m_mosq, &Link::on_connect);
    mosquitto_disconnect_v5_callback_set(m_mosq, &Link::on_disconnect);
    mosquitto_publish_v5_callback_set(m_mosq, &Link::on_publish);
    mosquitto_message_v5_callback_set(m_mosq, &Link::on_message);
    mosquitto_subscribe_v5_callback_set(m_mosq, &Link::on_subscribe);
    auto check = [&](int rc, const char* what) {
      if (rc != MOSQ_ERR_SUCCESS) throw config_error(std::string(what) + ": " + mosquitto_strerror(rc));
    };
    if (!m_options.username.empty() || !m_options.password.empty())
      check(mosquitto_username_pw_set(m_mosq, m_options.username.empty() ? nullptr : m_options.username.c_str(),
                                      m_options.password.empty() ? nullptr : m_options.password.c_str()),
            "user name or password");
    if (url.tls) {
      // libmosquitto answers a file it cannot read with "Invalid function
      // arguments provided"; name the file instead.
      for (const auto& [file, what] :
           {std::pair{m_options.ca_file, "--cafile"}, std::pair{m_options.cert_file, "--cert"},
            std::pair{m_options.key_file, "--key"}})
        if (!file.empty() && ::access(file.c_str(), R_OK) != 0)
          throw io_error(fmt::format("cannot read {} '{}': {}", what, file, std::strerror(errno)));
      // The CA file, else the system's store; verification of the server's
      // certificate and host name stays on unless --insecure.
      const char* ca = m_options.ca_file.empty() ? nullptr : m_options.ca_file.c_str();
      check(mosquitto_tls_set(m_mosq, ca, ca == nullptr ? "/etc/ssl/certs" : nullptr,
                              m_options.cert_file.empty() ? nullptr : m_options.cert_file.c_str(),
                              m_options.key_file.empty() ? nullptr : m_options.key_file.c_str(), nullptr),
            "TLS settings");
      if (ca == nullptr) mosquitto_int_option(m_mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
      if (m_options.insecure) {
        mosquitto_tls_insecure_set(m_mosq, true);
        check(mosquitto_tls_opts_set(m_mosq, 0 /* SSL_VERIFY_NONE */, nullptr, nullptr), "TLS settings");
      }
    }
    if (m_options.will) {
      const Message& w = *m_options.will;
      check(mosquitto_will_set(m_mosq, w.topic.c_str(), static_cast<int>(w.payload.size()), w.payload.data(), w.qos,
                               w.retain),
            "last will");
    }
    if (m_options.version == 5 && m_options.session_expiry)
      check(
          mosquitto_property_add_int32(&m_connect_props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, *m_options.session_expiry),
          "session expiry");
  } catch (...) {
    mosquitto_destroy(m_mosq);
    m_mosq = nullptr;
    mosquitto_property_free_all(&m_connect_props);
    throw;
  }
}

Link::~Link() {
  stop(0ms);
  if (m_mosq != nullptr) mosquitto_destroy(m_mosq);
  mosquitto_property_free_all(&m_connect_props);
}

void Link::start() {
  std::lock_guard lock(m_mutex);
  if (m_thread.joinable() || m_stopping) return;
  m_backoff = m_options.reconnect_min;
  m_thread = std::thread([this] { run(); });
}

void Link::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
    m_grace = grace;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
  m_connected = false;
}

Link::Sent Link::publish(const std::string& topic, std::string_view payload, int qos, bool retain, int& mid) {
  const int rc =
      mosquitto_publish(m_mosq, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos, retain);
  switch (rc) {
  case MOSQ_ERR_SUCCESS: return Sent::ok;
  case MOSQ_ERR_NO_CONN: return Sent::no_connection;
  case MOSQ_ERR_PAYLOAD_SIZE:
  case MOSQ_ERR_OVERSIZE_PACKET: return Sent::too_large;
  default: {
    std::lock_guard lock(m_mutex);
    m_last_error = mosquitto_strerror(rc);
    return Sent::failed;
  }
  }
}

void Link::subscribe(const std::vector<std::pair<std::string, int>>& filters) {
  for (const auto& [filter, qos] : filters) {
    const int rc = mosquitto_subscribe(m_mosq, nullptr, filter.c_str(), qos);
    if (rc != MOSQ_ERR_SUCCESS) log::error("cannot subscribe to {}: {}", filter, mosquitto_strerror(rc));
  }
}

void Link::abort() {
  m_aborted = true;
  // shutdown(2) rather than close: the network thread may be using the socket,
  // and after this nothing it writes reaches the broker.
  const int fd = mosquitto_socket(m_mosq);
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  m_cv.notify_all();
}

std::string Link::uri() const {
  std::lock_guard lock(m_mutex);
  return m_brokers[m_current].uri;
}

std::string Link::last_error() const {
  std::lock_guard lock(m_mutex);
  return m_last_error;
}

// A connection that lasted this long was a real one: losing it resets the
// backoff, and the next attempt goes out at once. One that dies sooner (a load
// balancer with no broker behind it, a client-id takeover, a message the broker
// refuses by disconnecting) counts as a failure and waits.
constexpr std::chrono::seconds k_stable{10};
// Repeats of one cause are reported at most this often.
constexpr std::chrono::seconds k_report_every{60};
// This many short-lived connections in a row suggest a client-id takeover.
constexpr int k_takeover_hint = 3;

void Link::run() {
  for (;;) {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping || m_fatal || m_aborted) break;
    }
    if (!m_socket_open) {
      std::string cause;
      if (!try_connect(cause)) {
        if (m_fatal) break;
        failed(cause);
        continue;
      }
    }
    const int rc = mosquitto_loop(m_mosq, 100, 1);
    if (rc == MOSQ_ERR_SUCCESS) continue;
    // The socket is gone (libmosquitto has called on_disconnect when it was connected).
    m_socket_open = false;
    if (m_aborted) break;
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) break;
    }
    std::string tls_error;
    {
      std::lock_guard lock(m_mutex);
      tls_error = m_tls_error;
    }
    // The TLS handshake may finish (or fail) inside the loop rather than in connect.
    std::string hint;
    if (!tls_error.empty() && tls_error_is_permanent(tls_error, hint)) {
      declare_fatal("cannot connect to " + uri() + ": TLS: " + tls_error + hint);
      break;
    }
    std::string why = m_disconnect_cause;
    if (why.empty()) why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
    if (!tls_error.empty()) why = "TLS: " + tls_error;
    if (!m_had_connack) {
      failed(why.rfind("connection refused", 0) == 0 ? why : "connection closed before CONNACK (" + why + ")");
      continue;
    }
    const auto lived = std::chrono::steady_clock::now() - m_connected_at;
    if (lived >= k_stable) {
      log::warn("connection to {} lost: {}; reconnecting", uri(), why);
      std::lock_guard lock(m_mutex);
      m_backoff = m_options.reconnect_min;
      m_failed_in_round = 0;
      m_short_lived = 0;
      continue;
    }
    ++m_short_lived;
    std::string cause = "connection closed by the broker soon after CONNACK (" + why + ")";
    if (m_short_lived >= k_takeover_hint && m_fixed_client_id)
      cause += fmt::format("; {} or more times in a row: is another client connected with client id '{}'?",
                           k_takeover_hint, m_options.client_id);
    failed(cause);
  }
  if (!m_socket_open || m_aborted) return;
  // Stopping: let what is queued go out, then say goodbye.
  std::chrono::milliseconds grace;
  {
    std::lock_guard lock(m_mutex);
    grace = m_grace;
  }
  const auto until = std::chrono::steady_clock::now() + grace;
  while (m_connected && mosquitto_want_write(m_mosq) && std::chrono::steady_clock::now() < until)
    if (mosquitto_loop(m_mosq, 10, 1) != MOSQ_ERR_SUCCESS) break;
  mosquitto_disconnect(m_mosq);
  for (int i = 0; i < 10 && mosquitto_loop(m_mosq, 10, 1) == MOSQ_ERR_SUCCESS; ++i) {
  }
  m_socket_open = false;
}

bool Link::tls_error_is_permanent(const std::string& tls_error, std::string& hint) {
  hint.clear();
  // TLS 1.3 alert 116 (RFC 8446 §6.2) and TLS 1.2's handshake_failure, which
  // Mosquitto's require_certificate sends when the client has none.
  if (tls_error.find("certificate required") != std::string::npos ||
      tls_error.find("alert handshake failure") != std::string::npos) {
    hint = " (the broker requires a client certificate: --cert and --key)";
    return true;
  }
  return tls_error.find("certificate verify failed") != std::string::npos ||
         tls_error.find("alert bad certificate") != std::string::npos ||
         tls_error.find("alert unknown ca") != std::string::npos ||
         tls_error.find("certificate expired") != std::string::npos ||
         tls_error.find("wrong version number") != std::string::npos;
}

bool Link::try_connect(std::string& cause) {
  {
    std::lock_guard lock(m_mutex);
    m_tls_error.clear();
  }
  m_had_connack = false;
  m_disconnect_cause.clear();
  ++m_attempts;
  const Broker& broker = m_brokers[m_current];
  // Listen to libmosquitto's log only while connecting, for OpenSSL's reasons:
  // with a log callback set it formats a debug line for every packet.
  mosquitto_log_callback_set(m_mosq, &Link::on_log);
  errno = 0;
  const int rc =
      m_options.version == 5
          ? mosquitto_connect_bind_v5(m_mosq, broker.host.c_str(), broker.port,
                                      static_cast<int>(m_options.keepalive.count()), nullptr, m_connect_props)
          : mosquitto_connect(m_mosq, broker.host.c_str(), broker.port, static_cast<int>(m_options.keepalive.count()));
  const int saved_errno = errno;
  if (rc == MOSQ_ERR_SUCCESS) {
    m_socket_open = true;
    return true;
  }
  cause = rc == MOSQ_ERR_ERRNO && saved_errno != 0 ? std::strerror(saved_errno) : mosquitto_strerror(rc);
  std::string tls_error;
  {
    std::lock_guard lock(m_mutex);
    tls_error = m_tls_error;
  }
  std::string hint;
  if (!tls_error.empty()) cause = "TLS: " + tls_error;
  if ((!tls_error.empty() && tls_error_is_permanent(tls_error, hint)) || rc == MOSQ_ERR_INVAL)
    declare_fatal("cannot connect to " + broker.uri + ": " + cause + hint);
  return false;
}

void Link::failed(const std::string& cause) {
  report(cause);
  if (m_brokers.size() > 1) {
    std::lock_guard lock(m_mutex);
    m_current = (m_current + 1) % m_brokers.size();
  }
  // With several brokers the next one is tried at once; the backoff applies
  // once every broker has failed in a row.
  if (++m_failed_in_round < m_brokers.size()) return;
  m_failed_in_round = 0;
  wait_backoff();
}

void Link::report(const std::string& cause) {
  ++m_failures_since_connect;
  const auto now = std::chrono::steady_clock::now();
  const std::string text = "cannot connect to " + m_brokers[m_current].uri + ": " + cause;
  if (m_reports.size() > 64) m_reports.clear(); // causes that carry changing details
  auto [it, first] = m_reports.try_emplace(text);
  Report& r = it->second;
  if (!first) {
    ++r.repeats;
    if (now - r.at < k_report_every) return;
    log::warn("{} (again {} times in the last {} s; retrying with backoff up to {} ms)", text, r.repeats,
              std::chrono::duration_cast<std::chrono::seconds>(now - r.at).count(), m_options.reconnect_max.count());
  } else {
    log::warn("{}; retrying with backoff up to {} ms", text, m_options.reconnect_max.count());
  }
  r.at = now;
  r.repeats = 0;
}

void Link::wait_backoff() {
  std::unique_lock lock(m_mutex);
  // Jitter: wait between half and all of the backoff, so that many clients
  // cut off together do not come back in step.
  m_random ^= m_random << 13;
  m_random ^= m_random >> 7;
  m_random ^= m_random << 17;
  const auto full = m_backoff.count();
  const auto wait =
      std::chrono::milliseconds(full / 2 + static_cast<long long>(m_random % static_cast<std::uint64_t>(full / 2 + 1)));
  m_cv.wait_for(lock, wait, [this] { return m_stopping || m_aborted.load(); });
  m_backoff = std::min(m_backoff * 2, m_options.reconnect_max);
}

void Link::declare_fatal(const std::string& why) {
  m_fatal = true;
  m_cv.notify_all();
  if (m_events.fatal) m_events.fatal(why);
}

void Link::on_connect(mosquitto* /*m*/, void* ctx, int rc, int flags, const mqtt5__property* props) {
  auto* self = static_cast<Link*>(ctx);
  const int version = self->m_options.version;
  const std::string uri = self->uri();
  if (rc != 0) {
    const std::string why = refusal_text(version, rc);
    if (refusal_is_permanent(version, rc))
      self->declare_fatal("cannot connect to " + uri + ": " + why);
    else
      self->m_disconnect_cause = why; // reported by run() with the backoff
    return;
  }
  std::uint32_t max_packet = 0;
  if (props != nullptr &&
      mosquitto_property_read_int32(props, MQTT_PROP_MAXIMUM_PACKET_SIZE, &max_packet, false) != nullptr)
    self->m_broker_max_packet = max_packet;
  self->m_had_connack = true;
  self->m_connected_at = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(self->m_mutex);
    self->m_failed_in_round = 0;
  }
  mosquitto_log_callback_set(self->m_mosq, nullptr);
  self->m_connected = true;
  ++self->m_connects;
  // MQTT 3.1.1 §3.2.2.2: bit 0 of the CONNACK flags is Session Present.
  const bool session_present = (flags & 0x01) != 0;
  if (self->m_failures_since_connect > 0)
    log::info("connected to {} as {}{} after {} failed attempts", uri, self->m_options.client_id,
              session_present ? " (session present)" : "", self->m_failures_since_connect);
  else
    log::info("connected to {} as {}{}", uri, self->m_options.client_id, session_present ? " (session present)" : "");
  self->m_failures_since_connect = 0;
  if (self->m_options.birth) {
    const Message& b = *self->m_options.birth;
    mosquitto_publish(self->m_mosq, nullptr, b.topic.c_str(), static_cast<int>(b.payload.size()), b.payload.data(),
                      b.qos, b.retain);
  }
  if (self->m_events.connected) self->m_events.connected(session_present);
}

void Link::on_disconnect(mosquitto* /*m*/, void* ctx, int rc, const mqtt5__property* /*props*/) {
  auto* self = static_cast<Link*>(ctx);
  // MQTT 5.0 §3.14.2.1: a DISCONNECT from the broker carries a reason code
  // (0x8E: session taken over by another client with the same id).
  if (self->m_options.version == 5 && rc >= 0x80)
    self->m_disconnect_cause = std::string("the broker disconnected: ") + mosquitto_reason_string(rc);
  else if (rc != 0 && self->m_disconnect_cause.empty())
    self->m_disconnect_cause = mosquitto_strerror(rc);
  const bool was_connected = self->m_connected.exchange(false);
  if (!was_connected) return;
  if (self->m_events.lost)
    self->m_events.lost(self->m_disconnect_cause.empty() ? "disconnected" : self->m_disconnect_cause);
}

void Link::on_publish(mosquitto* /*m*/, void* ctx, int mid, int reason, const mqtt5__property* /*props*/) {
  auto* self = static_cast<Link*>(ctx);
  if (self->m_events.completed) self->m_events.completed(mid, reason);
}

void Link::on_message(mosquitto* /*m*/, void* ctx, const struct mosquitto_message* msg, const mqtt5__property* props) {
  auto* self = static_cast<Link*>(ctx);
  if (msg == nullptr || self->m_aborted || !self->m_events.message) return;
  Incoming in;
  in.topic = msg->topic != nullptr ? std::string_view(msg->topic) : std::string_view();
  in.payload =
      std::string_view(static_cast<const char*>(msg->payload), static_cast<std::size_t>(std::max(msg->payloadlen, 0)));
  in.qos = msg->qos;
  in.retain = msg->retain;
  in.properties = props;
  self->m_events.message(in);
}

void Link::on_subscribe(mosquitto* /*m*/, void* /*ctx*/, int /*mid*/, int count, const int* granted,
                        const mqtt5__property* /*props*/) {
  // MQTT 3.1.1 §3.9.3: 0x80 in SUBACK means the broker refused the filter;
  // MQTT 5.0 §3.9.3: any reason code of 0x80 or more.
  for (int i = 0; i < count; ++i)
    if (granted[i] >= 0x80) log::error("the broker refused a subscription (reason code 0x{:02x})", granted[i]);
}

void Link::on_log(mosquitto* /*m*/, void* ctx, int level, const char* text) {
  if (level != MOSQ_LOG_ERR || text == nullptr) return;
  auto* self = static_cast<Link*>(ctx);
  std::string message(text);
  // libmosquitto reports OpenSSL failures as "OpenSSL Error[0]: error:...:certificate verify failed".
  if (message.rfind("OpenSSL Error", 0) == 0) {
    std::lock_guard lock(self->m_mutex);
    if (self->m_tls_error.empty()) {
      const auto colon = message.find(": ");
      self->m_tls_error = colon == std::string::npos ? message : message.substr(colon + 2);
    }
    return;
  }
  log::debug("libmosquitto: {}", message);
}

} // namespace iot::mqtt
