#include "iot/mqtt/sub.hpp"

#include <simdjson.h>

#include <condition_variable>
#include <memory>
#include <mutex>

#include "iot/cli/log.hpp"
#include "iot/core/error.hpp"
#include "iot/core/signals.hpp"
#include "iot/mqtt/client.hpp"
#include "iot/mqtt/codec.hpp"
#include "iot/record/output.hpp"

namespace iot::mqtt {

namespace {

// Whether `payload` is JSON to embed as such; `json` receives the text to embed:
// the payload itself when it is on one line, else a minified copy in `minified`.
bool json_payload(std::string_view payload, simdjson::dom::parser& parser, std::string& minified, std::string_view& json) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::size_t i = 0;
  while (i < payload.size() && is_space(payload[i])) ++i;
  if (i == payload.size() || payload[i] == '"') return false;  // empty, or a JSON string: kept as text
  simdjson::dom::element e;
  if (parser.parse(payload.data(), payload.size(), true).get(e) != simdjson::SUCCESS) return false;
  std::size_t end = payload.size();
  while (end > i && is_space(payload[end - 1])) --end;
  json = payload.substr(i, end - i);
  // Valid JSON has line breaks only between tokens; without any it can go into
  // the line as it is, saving a copy. Otherwise it is minified onto one line.
  if (json.find_first_of("\r\n") != std::string_view::npos) {
    minified = simdjson::minify(e);
    json = minified;
  }
  return true;
}

void write_properties(JsonWriter& w, const MQTTProperties& props) {
  if (props.count <= 0) return;
  w.key("properties");
  w.begin_object();
  bool user_open = false;
  // User properties (MQTT 5 §3.3.2.3.7) go under "user"; others by their spec name.
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < props.count; ++i) {
      const MQTTProperty& p = props.array[i];
      const bool is_user = p.identifier == MQTTPROPERTY_CODE_USER_PROPERTY;
      if ((pass == 0) == is_user) continue;
      const std::string_view data(p.value.data.data, static_cast<std::size_t>(std::max(p.value.data.len, 0)));
      switch (p.identifier) {
        case MQTTPROPERTY_CODE_PAYLOAD_FORMAT_INDICATOR: w.field("payload_format_indicator", int(p.value.byte)); break;
        case MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL: w.field("message_expiry_interval", p.value.integer4); break;
        case MQTTPROPERTY_CODE_CONTENT_TYPE: w.field("content_type", data); break;
        case MQTTPROPERTY_CODE_RESPONSE_TOPIC: w.field("response_topic", data); break;
        case MQTTPROPERTY_CODE_CORRELATION_DATA:
          if (valid_utf8(data)) w.field("correlation_data", data);
          else w.field("correlation_data_b64", base64_encode(data));
          break;
        case MQTTPROPERTY_CODE_SUBSCRIPTION_IDENTIFIER: w.field("subscription_identifier", p.value.integer4); break;
        case MQTTPROPERTY_CODE_TOPIC_ALIAS: w.field("topic_alias", int(p.value.integer2)); break;
        case MQTTPROPERTY_CODE_USER_PROPERTY: {
          if (!user_open) {
            w.key("user");
            w.begin_object();
            user_open = true;
          }
          const std::string_view value(p.value.value.data, static_cast<std::size_t>(std::max(p.value.value.len, 0)));
          w.field(data, value);
          break;
        }
        default: break;
      }
    }
  }
  if (user_open) w.end_object();
  w.end_object();
}

}  // namespace

void write_mqtt_record(JsonWriter& w, std::string_view topic, std::string_view payload, int qos, bool retain,
                       const MQTTProperties* properties) {
  thread_local simdjson::dom::parser parser;
  thread_local std::string minified;
  w.begin_record(now(), "mqtt");
  w.field("topic", topic);
  std::string_view json;
  if (json_payload(payload, parser, minified, json)) {
    w.key("payload");
    w.raw(json);
  } else if (valid_utf8(payload)) {
    w.field("payload", payload);
  } else {
    w.field("payload_b64", base64_encode(payload));
  }
  w.field("qos", qos);
  w.field("retain", retain);
  if (properties != nullptr) write_properties(w, *properties);
  w.end_object();
}

bool valid_topic_filter(std::string_view filter, std::string& error) {
  if (filter.empty()) {
    error = "empty topic filter";
    return false;
  }
  std::string_view f = filter;
  if (f.rfind("$share/", 0) == 0) {
    f.remove_prefix(7);
    const auto slash = f.find('/');
    if (slash == 0 || slash == std::string_view::npos || slash + 1 == f.size()) {
      error = "shared subscription '" + std::string(filter) + "' must be $share/GROUP/FILTER";
      return false;
    }
    const std::string_view group = f.substr(0, slash);
    if (group.find_first_of("+#") != std::string_view::npos) {
      error = "shared subscription group '" + std::string(group) + "' may not contain '+' or '#'";
      return false;
    }
    f.remove_prefix(slash + 1);
  }
  std::size_t level_start = 0;
  for (std::size_t i = 0; i <= f.size(); ++i) {
    if (i < f.size() && f[i] != '/') continue;
    const std::string_view level = f.substr(level_start, i - level_start);
    if (level.find('#') != std::string_view::npos && (level != "#" || i != f.size())) {
      error = "'#' must be the last level of the filter '" + std::string(filter) + "' and alone in it";
      return false;
    }
    if (level.find('+') != std::string_view::npos && level != "+") {
      error = "'+' must be alone in its level of the filter '" + std::string(filter) + "'";
      return false;
    }
    level_start = i + 1;
  }
  return true;
}

namespace {

class Subscriber {
public:
  Subscriber(const SubOptions& o, int out_fd) : m_opt(o), m_sink(out_fd) {
    Client::Events ev;
    ev.connected = [this](bool session_present) { subscribe(session_present); };
    ev.message = [this](std::string_view topic, MQTTAsync_message& m) { return on_message(topic, m); };
    ev.fatal = [this](const std::string& why) {
      std::lock_guard lock(m_mu);
      m_fatal = why;
      m_cv.notify_all();
    };
    m_client = std::make_unique<Client>(m_opt.connect, std::move(ev));
  }

  ExitCode run() {
    m_client->start();
    {
      std::unique_lock lock(m_mu);
      while (!stop_requested() && !m_closed && !m_done && m_fatal.empty() && m_write_error.empty()) {
        m_cv.wait_for(lock, std::chrono::milliseconds(50));
        if (!m_sink_dirty) continue;
        try {
          m_sink.flush();
        } catch (const OutputClosed&) {
          m_closed = true;
        }
        m_sink_dirty = false;
      }
    }
    m_client->stop(std::chrono::milliseconds(200));
    std::lock_guard lock(m_mu);
    if (!m_closed) {
      try {
        m_sink.flush();
      } catch (const OutputClosed&) {
        m_closed = true;
      }
    }
    log::info("{} messages written", m_written);
    if (!m_fatal.empty()) throw io_error(m_fatal);
    if (!m_write_error.empty()) throw io_error(m_write_error);
    return ExitCode::ok;  // stopped by a signal, --count, or a reader that went away
  }

private:
  void subscribe(bool session_present) {
    std::vector<char*> topics;
    std::vector<int> qos;
    for (const auto& s : m_opt.subscriptions) {
      topics.push_back(const_cast<char*>(s.filter.c_str()));
      qos.push_back(s.qos);
    }
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    ro.context = this;
    if (m_opt.connect.version == 5) {
      ro.onFailure5 = [](void*, MQTTAsync_failureData5* d) {
        log::error("subscribe failed: {}", d != nullptr ? MQTTReasonCode_toString(d->reasonCode) : "unknown");
      };
    } else {
      ro.onSuccess = [](void*, MQTTAsync_successData* d) {
        if (d == nullptr) return;
        // MQTT 3.1.1 §3.9.3: 0x80 in SUBACK means the broker refused that filter.
        if (d->alt.qos == 0x80) log::error("the broker refused a subscription");
      };
      ro.onFailure = [](void*, MQTTAsync_failureData* d) {
        log::error("subscribe failed: {}", d != nullptr && d->message != nullptr ? d->message : "refused by the broker");
      };
    }
    const int rc = MQTTAsync_subscribeMany(m_client->handle(), static_cast<int>(topics.size()), topics.data(), qos.data(), &ro);
    if (rc != MQTTASYNC_SUCCESS) log::error("cannot subscribe: {}", MQTTAsync_strerror(rc));
    else log::debug("subscribed to {} filters{}", topics.size(), session_present ? " (session present)" : "");
  }

  bool on_message(std::string_view topic, MQTTAsync_message& m) {
    std::lock_guard lock(m_mu);
    if (m_closed || m_done || !m_write_error.empty()) return false;  // not acknowledged: stays with the broker
    const std::string_view payload(static_cast<const char*>(m.payload), static_cast<std::size_t>(std::max(m.payloadlen, 0)));
    try {
      {
        RecordLine r(m_sink);
        write_mqtt_record(r.w, topic, payload, m.qos, m.retained != 0,
                          m_opt.connect.version == 5 ? &m.properties : nullptr);
      }
      // QoS 1/2: the line must be out before the acknowledgement; QoS 0 lines
      // may wait for the main loop's flush (at most 50 ms).
      if (m.qos > 0) m_sink.flush();
      else m_sink_dirty = true;
    } catch (const OutputClosed&) {
      m_closed = true;
      m_cv.notify_all();
      return false;
    } catch (const std::exception& e) {
      m_write_error = e.what();
      m_cv.notify_all();
      return false;
    }
    ++m_written;
    if (m_opt.answer) {
      m_replies.clear();
      m_opt.answer(topic, payload, m_replies);
      for (const Reply& r : m_replies) {
        MQTTAsync_message msg = MQTTAsync_message_initializer;
        msg.payload = const_cast<char*>(r.payload.data());
        msg.payloadlen = static_cast<int>(r.payload.size());
        msg.qos = r.qos;
        MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
        MQTTAsync_sendMessage(m_client->handle(), r.topic.c_str(), &msg, &ro);
      }
    }
    if (m_opt.count > 0 && m_written >= m_opt.count) {
      m_done = true;
      m_cv.notify_all();
    }
    return true;
  }

  const SubOptions& m_opt;
  std::mutex m_mu;
  std::condition_variable m_cv;
  LineSink m_sink;
  bool m_sink_dirty = false;
  bool m_closed = false;
  bool m_done = false;
  std::string m_fatal;
  std::string m_write_error;
  std::uint64_t m_written = 0;
  std::vector<Reply> m_replies;
  std::unique_ptr<Client> m_client;
};

}  // namespace

ExitCode run_sub(const SubOptions& options, int out_fd) {
  for (const auto& s : options.subscriptions) {
    std::string error;
    if (!valid_topic_filter(s.filter, error)) throw usage_error(error);
  }
  if (options.subscriptions.empty()) throw usage_error("sub needs at least one -t FILTER");
  Subscriber s(options, out_fd);
  return s.run();
}

}  // namespace iot::mqtt
