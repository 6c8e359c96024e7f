#include "iot/mqtt/client.hpp"

#include <MQTTAsync.h>

#include <cstring>

#include "iot/cli/log.hpp"
#include "iot/core/error.hpp"

namespace iot::mqtt {

namespace {

std::string paho_error(int code, const char* message) {
  std::string s = message != nullptr && *message != '\0' ? std::string(message) : std::string();
  // CONNACK return codes of MQTT 3.1.1 §3.2.2.3 arrive as positive codes.
  switch (code) {
    case 1: return "connection refused: unacceptable protocol version";
    case 2: return "connection refused: client identifier rejected";
    case 3: return "connection refused: server unavailable";
    case 4: return "connection refused: bad user name or password";
    case 5: return "connection refused: not authorized";
    default: break;
  }
  if (s.empty()) {
    const char* e = MQTTAsync_strerror(code);
    s = e != nullptr ? e : "error " + std::to_string(code);
  }
  return s;
}

}  // namespace

Client::Client(ConnectOptions options, Events events) : m_options(std::move(options)), m_events(std::move(events)) {
  const BrokerUrl url = parse_broker_url(m_options.broker);
  m_uri = url.paho_uri();
  if (m_options.client_id.empty()) m_options.client_id = default_client_id("iot-mqtt-bridge");
  MQTTAsync_createOptions create = MQTTAsync_createOptions_initializer;
  if (m_options.version == 5) create.MQTTVersion = MQTTVERSION_5;
  int rc = MQTTAsync_createWithOptions(&m_handle, m_uri.c_str(), m_options.client_id.c_str(),
                                       MQTTCLIENT_PERSISTENCE_NONE, nullptr, &create);
  if (rc != MQTTASYNC_SUCCESS) throw io_error("cannot create MQTT client for " + m_uri + ": " + paho_error(rc, nullptr));
  rc = MQTTAsync_setCallbacks(m_handle, this, &Client::on_connection_lost,
                              &Client::on_message, nullptr);  // Paho insists on a messageArrived
  if (rc != MQTTASYNC_SUCCESS) throw io_error("cannot set MQTT callbacks: " + paho_error(rc, nullptr));
  if (url.tls) {
    // TLS: the CA file (or the system store), an optional client certificate and
    // key; the server's certificate and host name are verified unless --insecure.
    m_ssl.trustStore = m_options.ca_file.empty() ? nullptr : m_options.ca_file.c_str();
    m_ssl.keyStore = m_options.cert_file.empty() ? nullptr : m_options.cert_file.c_str();
    m_ssl.privateKey = m_options.key_file.empty() ? nullptr : m_options.key_file.c_str();
    m_ssl.enableServerCertAuth = m_options.insecure ? 0 : 1;
    m_ssl.verify = m_options.insecure ? 0 : 1;
    m_ssl.ssl_error_cb = &Client::on_ssl_error;
    m_ssl.ssl_error_context = this;
  }
  if (m_options.will) {
    m_will.topicName = m_options.will->topic.c_str();
    m_will.message = nullptr;
    m_will.payload.data = m_options.will->payload.data();
    m_will.payload.len = static_cast<int>(m_options.will->payload.size());
    m_will.qos = m_options.will->qos;
    m_will.retained = m_options.will->retain ? 1 : 0;
  }
  if (m_options.version == 5 && m_options.session_expiry) {
    MQTTProperty p{};
    p.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
    p.value.integer4 = *m_options.session_expiry;
    MQTTProperties_add(&m_connect_props, &p);
  }
}

Client::~Client() {
  stop(std::chrono::milliseconds(0));
  if (m_handle != nullptr) MQTTAsync_destroy(&m_handle);
  MQTTProperties_free(&m_connect_props);
}

void Client::start() {
  std::lock_guard lock(m_mutex);
  if (m_thread.joinable()) return;
  m_state = State::waiting;
  m_next_attempt = std::chrono::steady_clock::now();
  m_backoff = m_options.reconnect_min;
  m_thread = std::thread([this] { supervise(); });
}

void Client::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping && !m_thread.joinable()) return;
    m_stopping = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
  if (m_handle != nullptr && MQTTAsync_isConnected(m_handle)) {
    MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
    d.timeout = static_cast<int>(grace.count());
    if (MQTTAsync_disconnect(m_handle, &d) == MQTTASYNC_SUCCESS) {
      const auto until = std::chrono::steady_clock::now() + grace + std::chrono::milliseconds(200);
      while (MQTTAsync_isConnected(m_handle) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  m_connected = false;
}

bool Client::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(m_mutex);
  m_cv.wait_for(lock, timeout, [this] { return m_connected.load() || m_fatal.load() || m_stopping; });
  return m_connected.load();
}

void Client::supervise() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    if (m_state == State::waiting) {
      if (std::chrono::steady_clock::now() >= m_next_attempt) {
        m_state = State::connecting;
        lock.unlock();
        attempt_connect();
        lock.lock();
        continue;
      }
      m_cv.wait_until(lock, m_next_attempt);
      continue;
    }
    m_cv.wait(lock);
  }
}

void Client::attempt_connect() {
  MQTTAsync_connectOptions c = MQTTAsync_connectOptions_initializer;
  if (m_options.version == 5) {
    c = MQTTAsync_connectOptions_initializer5;
    c.cleanstart = m_options.clean ? 1 : 0;
    c.connectProperties = m_connect_props.count > 0 ? &m_connect_props : nullptr;
    c.onSuccess5 = &Client::on_connect_success5;
    c.onFailure5 = &Client::on_connect_failure5;
  } else {
    c.MQTTVersion = MQTTVERSION_3_1_1;
    c.cleansession = m_options.clean ? 1 : 0;
    c.onSuccess = &Client::on_connect_success;
    c.onFailure = &Client::on_connect_failure;
  }
  c.context = this;
  c.keepAliveInterval = static_cast<int>(m_options.keepalive.count());
  c.maxInflight = m_options.max_inflight;
  c.connectTimeout = static_cast<int>(m_options.connect_timeout.count());
  c.automaticReconnect = 0;  // we reconnect ourselves, also when the very first attempt fails
  c.will = m_options.will ? &m_will : nullptr;
  c.ssl = parse_broker_url(m_options.broker).tls ? &m_ssl : nullptr;
  c.username = m_options.username.empty() ? nullptr : m_options.username.c_str();
  if (!m_options.password.empty()) {
    c.binarypwd.data = m_options.password.data();
    c.binarypwd.len = static_cast<int>(m_options.password.size());
  }
  {
    std::lock_guard lock(m_mutex);
    m_ssl_error.clear();
  }
  const int rc = MQTTAsync_connect(m_handle, &c);
  if (rc != MQTTASYNC_SUCCESS) failed_now(rc, nullptr, false);
}

void Client::connected_now(bool session_present) {
  {
    std::lock_guard lock(m_mutex);
    m_state = State::connected;
    m_backoff = m_options.reconnect_min;
    m_failures = 0;
    m_ever_connected = true;
    m_connected = true;
  }
  ++m_connects;
  log::info("connected to {} as {}{}", m_uri, m_options.client_id, session_present ? " (session present)" : "");
  if (m_options.birth) {
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    msg.payload = const_cast<char*>(m_options.birth->payload.data());
    msg.payloadlen = static_cast<int>(m_options.birth->payload.size());
    msg.qos = m_options.birth->qos;
    msg.retained = m_options.birth->retain ? 1 : 0;
    MQTTAsync_responseOptions r = MQTTAsync_responseOptions_initializer;
    MQTTAsync_sendMessage(m_handle, m_options.birth->topic.c_str(), &msg, &r);
  }
  if (m_events.connected) m_events.connected(session_present);
  m_cv.notify_all();
}

void Client::failed_now(int code, const char* message, bool permanent) {
  std::string why = paho_error(code, message);
  std::unique_lock lock(m_mutex);
  if (!m_ssl_error.empty()) {
    why = "TLS: " + m_ssl_error;
    if (m_ssl_error.find("certificate verify failed") != std::string::npos) permanent = true;
  }
  if (permanent) {
    m_fatal = true;
    m_state = State::idle;
    lock.unlock();
    m_cv.notify_all();
    if (m_events.fatal) m_events.fatal("cannot connect to " + m_uri + ": " + why);
    return;
  }
  ++m_failures;
  m_state = State::waiting;
  m_next_attempt = std::chrono::steady_clock::now() + m_backoff;
  const auto wait = m_backoff;
  m_backoff = std::min(m_backoff * 2, m_options.reconnect_max);
  const int failures = m_failures;
  lock.unlock();
  m_cv.notify_all();
  if (failures == 1)
    log::warn("cannot connect to {}: {}; retrying (backoff up to {} ms)", m_uri, why, m_options.reconnect_max.count());
  else
    log::debug("cannot connect to {}: {}; next try in {} ms", m_uri, why, wait.count());
}

void Client::on_connect_success(void* ctx, MQTTAsync_successData* data) {
  static_cast<Client*>(ctx)->connected_now(data != nullptr && data->alt.connect.sessionPresent != 0);
}

void Client::on_connect_failure(void* ctx, MQTTAsync_failureData* data) {
  const int code = data != nullptr ? data->code : MQTTASYNC_FAILURE;
  const bool permanent = code == 1 || code == 2 || code == 4 || code == 5;
  static_cast<Client*>(ctx)->failed_now(code, data != nullptr ? data->message : nullptr, permanent);
}

void Client::on_connect_success5(void* ctx, MQTTAsync_successData5* data) {
  auto* self = static_cast<Client*>(ctx);
  if (data != nullptr) {
    const int max_packet = MQTTProperties_getNumericValue(&data->properties, MQTTPROPERTY_CODE_MAXIMUM_PACKET_SIZE);
    if (max_packet > 0) self->m_broker_max_packet = static_cast<std::uint32_t>(max_packet);
  }
  self->connected_now(data != nullptr && data->alt.connect.sessionPresent != 0);
}

void Client::on_connect_failure5(void* ctx, MQTTAsync_failureData5* data) {
  int code = data != nullptr ? data->code : MQTTASYNC_FAILURE;
  const int reason = data != nullptr ? static_cast<int>(data->reasonCode) : 0;
  // MQTT 5.0 §3.2.2.2 reason codes that another attempt will not change.
  const bool permanent = reason == 0x84 || reason == 0x85 || reason == 0x86 || reason == 0x87 || reason == 0x8C;
  std::string msg = data != nullptr && data->message != nullptr ? data->message : "";
  if (reason >= 0x80) msg = std::string("connection refused: ") + MQTTReasonCode_toString(static_cast<MQTTReasonCodes>(reason));
  if (reason >= 0x80) code = MQTTASYNC_FAILURE;
  static_cast<Client*>(ctx)->failed_now(code, msg.empty() ? nullptr : msg.c_str(), permanent);
}

void Client::on_connection_lost(void* ctx, char* cause) {
  auto* self = static_cast<Client*>(ctx);
  const std::string why = cause != nullptr ? cause : "connection lost";
  if (cause != nullptr) MQTTAsync_free(cause);
  {
    std::lock_guard lock(self->m_mutex);
    self->m_connected = false;
    self->m_state = State::waiting;
    self->m_next_attempt = std::chrono::steady_clock::now() + self->m_options.reconnect_min;
    self->m_backoff = self->m_options.reconnect_min;
  }
  log::warn("connection to {} lost: {}; reconnecting", self->m_uri, why);
  if (self->m_events.lost) self->m_events.lost(why);
  self->m_cv.notify_all();
}

int Client::on_message(void* ctx, char* topic, int topic_len, MQTTAsync_message* message) {
  auto* self = static_cast<Client*>(ctx);
  const std::string_view t(topic, topic_len > 0 ? static_cast<std::size_t>(topic_len) : std::strlen(topic));
  bool done = true;
  try {
    if (self->m_events.message) done = self->m_events.message(t, *message);
  } catch (...) {
    done = false;  // never let an exception cross Paho's C frames
  }
  if (!done) return 0;  // not acknowledged: Paho offers it again
  MQTTAsync_freeMessage(&message);
  MQTTAsync_free(topic);
  return 1;
}

int Client::on_ssl_error(const char* str, std::size_t len, void* ctx) {
  auto* self = static_cast<Client*>(ctx);
  std::lock_guard lock(self->m_mutex);
  if (self->m_ssl_error.empty()) self->m_ssl_error.assign(str, len);
  while (!self->m_ssl_error.empty() && (self->m_ssl_error.back() == '\n' || self->m_ssl_error.back() == '\r'))
    self->m_ssl_error.pop_back();
  return 0;
}

}  // namespace iot::mqtt
