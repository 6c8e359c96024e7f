#include "iot/mqtt/link.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "iot/cli/log.hpp"
#include "iot/core/error.hpp"

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
  m_uri = url.paho_uri();
  m_host = url.host;
  m_port = url.port;
  if (m_options.client_id.empty()) m_options.client_id = default_client_id("iot-mqtt-bridge");
  m_mosq = mosquitto_new(m_options.client_id.c_str(), m_options.clean, this);
  if (m_mosq == nullptr) throw io_error("cannot create MQTT client for " + m_uri + ": " + std::strerror(errno));
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
    const WillMessage& w = *m_options.will;
    check(mosquitto_will_set(m_mosq, w.topic.c_str(), static_cast<int>(w.payload.size()), w.payload.data(), w.qos,
                             w.retain),
          "last will");
  }
  if (m_options.version == 5 && m_options.session_expiry)
    check(mosquitto_property_add_int32(&m_connect_props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, *m_options.session_expiry),
          "session expiry");
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

std::string Link::last_error() const {
  std::lock_guard lock(m_mutex);
  return m_last_error;
}

void Link::run() {
  for (;;) {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping || m_fatal || m_aborted) break;
    }
    if (!m_socket_open) {
      if (!try_connect()) {
        wait_backoff();
        continue;
      }
    }
    const int rc = mosquitto_loop(m_mosq, 100, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      std::string tls_error;
      {
        std::lock_guard lock(m_mutex);
        tls_error = m_tls_error;
      }
      // The TLS handshake may finish (or fail) inside the loop rather than in connect.
      if (tls_error.find("certificate verify failed") != std::string::npos) {
        declare_fatal("cannot connect to " + m_uri + ": TLS: " + tls_error);
        m_socket_open = false;
        break;
      }
      // The socket is gone (libmosquitto has called on_disconnect when it was
      // connected). Try again soon; the backoff grows only if that fails too.
      m_socket_open = false;
      if (rc == MOSQ_ERR_TLS || rc == MOSQ_ERR_CONN_REFUSED) wait_backoff();
    }
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

bool Link::try_connect() {
  {
    std::lock_guard lock(m_mutex);
    m_tls_error.clear();
  }
  // Listen to libmosquitto's log only while connecting, for OpenSSL's reasons:
  // with a log callback set it formats a debug line for every packet.
  mosquitto_log_callback_set(m_mosq, &Link::on_log);
  errno = 0;
  const int rc =
      m_options.version == 5
          ? mosquitto_connect_bind_v5(m_mosq, m_host.c_str(), m_port, static_cast<int>(m_options.keepalive.count()),
                                      nullptr, m_connect_props)
          : mosquitto_connect(m_mosq, m_host.c_str(), m_port, static_cast<int>(m_options.keepalive.count()));
  const int saved_errno = errno;
  if (rc == MOSQ_ERR_SUCCESS) {
    m_socket_open = true;
    return true;
  }
  std::string why = rc == MOSQ_ERR_ERRNO && saved_errno != 0 ? std::strerror(saved_errno) : mosquitto_strerror(rc);
  {
    std::lock_guard lock(m_mutex);
    if (!m_tls_error.empty()) why = "TLS: " + m_tls_error;
  }
  if (why.find("certificate verify failed") != std::string::npos || rc == MOSQ_ERR_INVAL) {
    declare_fatal("cannot connect to " + m_uri + ": " + why);
    return false;
  }
  ++m_failures;
  if (m_failures == 1)
    log::warn("cannot connect to {}: {}; retrying (backoff up to {} ms)", m_uri, why, m_options.reconnect_max.count());
  else
    log::debug("cannot connect to {}: {}; next try in {} ms", m_uri, why, m_backoff.count());
  return false;
}

void Link::wait_backoff() {
  std::unique_lock lock(m_mutex);
  m_cv.wait_for(lock, m_backoff, [this] { return m_stopping; });
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
  if (rc != 0) {
    const std::string why = refusal_text(version, rc);
    if (refusal_is_permanent(version, rc)) {
      self->declare_fatal("cannot connect to " + self->m_uri + ": " + why);
    } else {
      ++self->m_failures;
      log::warn("cannot connect to {}: {}; retrying", self->m_uri, why);
    }
    return;
  }
  std::uint32_t max_packet = 0;
  if (props != nullptr &&
      mosquitto_property_read_int32(props, MQTT_PROP_MAXIMUM_PACKET_SIZE, &max_packet, false) != nullptr)
    self->m_broker_max_packet = max_packet;
  {
    std::lock_guard lock(self->m_mutex);
    self->m_backoff = self->m_options.reconnect_min;
    self->m_failures = 0;
  }
  mosquitto_log_callback_set(self->m_mosq, nullptr);
  self->m_connected = true;
  ++self->m_connects;
  // MQTT 3.1.1 §3.2.2.2: bit 0 of the CONNACK flags is Session Present.
  const bool session_present = (flags & 0x01) != 0;
  log::info("connected to {} as {}{}", self->m_uri, self->m_options.client_id,
            session_present ? " (session present)" : "");
  if (self->m_options.birth) {
    const WillMessage& b = *self->m_options.birth;
    mosquitto_publish(self->m_mosq, nullptr, b.topic.c_str(), static_cast<int>(b.payload.size()), b.payload.data(),
                      b.qos, b.retain);
  }
  if (self->m_events.connected) self->m_events.connected(session_present);
}

void Link::on_disconnect(mosquitto* /*m*/, void* ctx, int rc, const mqtt5__property* /*props*/) {
  auto* self = static_cast<Link*>(ctx);
  const bool was_connected = self->m_connected.exchange(false);
  if (!was_connected) return;
  bool stopping = false;
  {
    std::lock_guard lock(self->m_mutex);
    stopping = self->m_stopping;
  }
  const std::string why = rc == 0 ? "disconnected" : mosquitto_strerror(rc);
  if (!stopping && !self->m_aborted) log::warn("connection to {} lost: {}; reconnecting", self->m_uri, why);
  if (self->m_events.lost) self->m_events.lost(why);
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
