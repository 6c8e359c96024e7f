#include "iot/bridge/sub.hpp"

#include <fcntl.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/mqtt/codec.hpp"
#include "iot/mqtt/link.hpp"
#include "iot/mqtt/topic.hpp"
#include "iot/record/output.hpp"
#include "iot/record/records.hpp"

namespace iot::bridge {

using mqtt::base64_encode;
using mqtt::Incoming;
using mqtt::Link;
using mqtt::Reply;
using mqtt::valid_topic_filter;
using mqtt::valid_utf8;

namespace {

// Whether `payload` is JSON to embed as such; `json` receives the text to embed:
// the payload itself when it is on one line, else a minified copy in `minified`.
bool json_payload(std::string_view payload, simdjson::dom::parser& parser, std::string& minified,
                  std::string_view& json) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::size_t i = 0;
  while (i < payload.size() && is_space(payload[i]))
    ++i;
  if (i == payload.size() || payload[i] == '"') return false; // empty, or a JSON string: kept as text
  simdjson::dom::element e;
  if (parser.parse(payload.data(), payload.size(), true).get(e) != simdjson::SUCCESS) return false;
  std::size_t end = payload.size();
  while (end > i && is_space(payload[end - 1]))
    --end;
  json = payload.substr(i, end - i);
  // Valid JSON has line breaks only between tokens; without any it can go into
  // the line as it is, saving a copy. Otherwise it is minified onto one line.
  if (json.find_first_of("\r\n") != std::string_view::npos) {
    minified = simdjson::minify(e);
    json = minified;
  }
  return true;
}

// Reads a numeric property with libmosquitto's reader for its width: byte,
// two- or four-byte integer, variable byte integer (MQTT 5.0 §1.5).
template <typename Int, const mosquitto_property* (*Read)(const mosquitto_property*, int, Int*, bool)>
std::uint32_t read_number(const mosquitto_property* p, int id) {
  Int v = 0;
  Read(p, id, &v, false);
  return v;
}

// The numeric properties a PUBLISH can carry (§3.3.2.3) and the field each is written as.
struct NumericProperty {
  int id;
  std::string_view field;
  std::uint32_t (*read)(const mosquitto_property*, int);
};
constexpr NumericProperty k_numeric_properties[] = {
    {MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, fields::payload_format_indicator,
     read_number<std::uint8_t, mosquitto_property_read_byte>},
    {MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, fields::message_expiry_interval,
     read_number<std::uint32_t, mosquitto_property_read_int32>},
    {MQTT_PROP_SUBSCRIPTION_IDENTIFIER, fields::subscription_identifier,
     read_number<std::uint32_t, mosquitto_property_read_varint>},
    {MQTT_PROP_TOPIC_ALIAS, fields::topic_alias, read_number<std::uint16_t, mosquitto_property_read_int16>},
};

// Writes one MQTT 5 property list (MQTT 5.0 §3.3.2.3) as an object. User
// properties (§3.3.2.3.7) go under "user"; the others by their spec name.
void write_properties(JsonWriter& w, const mqtt5__property* props) {
  w.begin_object();
  for (int pass = 0; pass < 2; ++pass) {
    bool user_open = false;
    for (const mosquitto_property* p = props; p != nullptr; p = mosquitto_property_next(p)) {
      const int id = mosquitto_property_identifier(p);
      const bool is_user = id == MQTT_PROP_USER_PROPERTY;
      if ((pass == 0) == is_user) continue;
      const auto numeric = std::ranges::find(k_numeric_properties, id, &NumericProperty::id);
      if (numeric != std::end(k_numeric_properties)) {
        w.field(numeric->field, numeric->read(p, id));
        continue;
      }
      switch (id) {
      case MQTT_PROP_CONTENT_TYPE:
      case MQTT_PROP_RESPONSE_TOPIC: {
        char* v = nullptr;
        mosquitto_property_read_string(p, id, &v, false);
        w.field(id == MQTT_PROP_CONTENT_TYPE ? fields::content_type : fields::response_topic, v != nullptr ? v : "");
        std::free(v);
        break;
      }
      case MQTT_PROP_CORRELATION_DATA: {
        void* v = nullptr;
        std::uint16_t len = 0;
        mosquitto_property_read_binary(p, id, &v, &len, false);
        const std::string_view data(static_cast<const char*>(v), v != nullptr ? len : 0);
        if (valid_utf8(data))
          w.field(fields::correlation_data, data);
        else
          w.field(fields::correlation_data_b64, base64_encode(data));
        std::free(v);
        break;
      }
      case MQTT_PROP_USER_PROPERTY: {
        char* name = nullptr;
        char* value = nullptr;
        mosquitto_property_read_string_pair(p, id, &name, &value, false);
        if (!user_open) {
          w.key(fields::user);
          w.begin_object();
          user_open = true;
        }
        w.field(name != nullptr ? name : "", value != nullptr ? value : "");
        std::free(name);
        std::free(value);
        break;
      }
      default: break;
      }
    }
    if (user_open) w.end_object();
  }
  w.end_object();
}

} // namespace

void write_mqtt_record(JsonWriter& w, std::string_view topic, std::string_view payload, int qos, bool retain,
                       const mqtt5__property* properties) {
  thread_local simdjson::dom::parser parser;
  thread_local std::string minified;
  thread_local std::string properties_json;
  record::Mqtt rec;
  rec.ts = now();
  rec.topic = topic;
  std::string_view json;
  std::string b64;
  if (json_payload(payload, parser, minified, json)) {
    rec.form = record::Mqtt::Form::json;
    rec.payload = json;
  } else if (valid_utf8(payload)) {
    rec.payload = payload;
  } else {
    b64 = base64_encode(payload);
    rec.form = record::Mqtt::Form::base64;
    rec.payload = b64;
  }
  rec.qos = qos;
  rec.retain = retain;
  properties_json.clear();
  if (properties != nullptr) {
    JsonWriter pw(properties_json);
    write_properties(pw, properties);
  }
  rec.properties_json = properties_json;
  record::write(w, rec);
}

namespace {

// Where sub's lines go. Unlike LineSink it never blocks on a pipe or socket
// whose reader has stalled: such an output is switched to O_NONBLOCK (and back
// at the end), and a full one is waited for with poll(2) together with the stop
// signal, so SIGTERM is never stuck behind a full pipe. A message costs one
// write(2) as long as the reader keeps up.
class StoppableOutput {
public:
  explicit StoppableOutput(int fd) : m_fd(fd) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
      m_flags = ::fcntl(fd, F_GETFL);
      if (m_flags >= 0 && (m_flags & O_NONBLOCK) == 0 && ::fcntl(fd, F_SETFL, m_flags | O_NONBLOCK) == 0)
        m_restore = true;
    }
  }
  ~StoppableOutput() {
    if (m_restore) ::fcntl(m_fd, F_SETFL, m_flags);
  }
  StoppableOutput(const StoppableOutput&) = delete;
  StoppableOutput& operator=(const StoppableOutput&) = delete;

  std::string& buffer() { return m_buffer; }
  bool empty() const { return m_buffer.empty(); }
  // Writes the buffer. Throws OutputClosed when the reader went away, Stopped
  // when a stop signal came while the reader had no room, an io error otherwise.
  struct Stopped {};
  void flush() {
    std::size_t done = 0;
    while (done < m_buffer.size()) {
      const ssize_t n = ::write(m_fd, m_buffer.data() + done, m_buffer.size() - done);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        // After a stop, write what the reader has room for, and no more.
        pollfd p[2] = {{m_fd, POLLOUT, 0}, {stop_fd(), POLLIN, 0}};
        const int r = ::poll(p, 2, -1);
        if (r < 0 && errno != EINTR) throw errno_error("cannot wait for the output");
        if ((p[0].revents & (POLLOUT | POLLERR | POLLHUP)) == 0 && ((p[1].revents & POLLIN) != 0 || stop_requested())) {
          m_buffer.erase(0, done);
          throw Stopped{};
        }
        continue;
      }
      m_buffer.clear();
      if (n < 0 && errno == EPIPE) throw OutputClosed{};
      if (n == 0) errno = EIO;
      throw errno_error("cannot write output");
    }
    m_buffer.clear();
  }

private:
  int m_fd;
  int m_flags = 0;
  bool m_restore = false;
  std::string m_buffer;
};

class Subscriber {
public:
  Subscriber(const SubOptions& o, int out_fd) : m_opt(o), m_out(out_fd) {
    for (const auto& sub : m_opt.subscriptions)
      m_filters.emplace_back(sub.filter, sub.qos);
    Link::Events ev;
    ev.connected = [this](bool session_present) {
      m_link->subscribe(m_filters);
      log::debug("subscribed to {} filters{}", m_filters.size(), session_present ? " (session present)" : "");
    };
    ev.message = [this](const Incoming& m) { on_message(m); };
    ev.fatal = [this](const std::string& why) {
      std::lock_guard lock(m_mu);
      m_fatal = why;
      m_cv.notify_all();
    };
    m_link = std::make_unique<Link>(m_opt.connect, std::move(ev));
  }

  ExitCode run() {
    m_link->start();
    auto next_stats = std::chrono::steady_clock::now() + m_opt.stats_every.value_or(std::chrono::hours(24 * 365));
    for (;;) {
      // The stop signal is seen here without m_mu, which the link's thread
      // holds while it waits for a stalled reader.
      pollfd p{stop_fd(), POLLIN, 0};
      ::poll(&p, 1, 50);
      if (stop_requested()) break;
      std::unique_lock lock(m_mu, std::try_to_lock);
      if (!lock.owns_lock()) continue;
      if (m_closed || m_done || !m_fatal.empty() || !m_write_error.empty()) break;
      if (m_opt.stats_every && std::chrono::steady_clock::now() >= next_stats) {
        next_stats = std::chrono::steady_clock::now() + *m_opt.stats_every;
        write_stats();
        m_sink_dirty = true;
      }
      if (m_sink_dirty) flush_locked();
    }
    if (stop_requested()) {
      // Whatever the link's thread is writing is not acknowledged: abort()
      // drops the connection before its PUBACK can leave.
      std::unique_lock lock(m_mu, std::try_to_lock);
      if (!lock.owns_lock()) m_link->abort();
    } // (m_mu is free again: the link's thread may need it to finish)
    // Every message handled so far was written before its handler returned, so
    // a graceful DISCONNECT (which first sends the queued acknowledgements) is
    // right; one that was not written has already aborted the link (refuse()).
    m_link->stop(std::chrono::milliseconds(200));
    std::lock_guard lock(m_mu);
    if (!m_closed && !m_out.empty()) flush_locked();
    log::info("{} messages written", m_written);
    if (!m_fatal.empty()) throw io_error(m_fatal);
    if (!m_write_error.empty()) throw io_error(m_write_error);
    return ExitCode::ok; // stopped by a signal, --count, or a reader that went away
  }

private:
  // m_mu held. Returns false when the lines could not all be written.
  bool flush_locked() {
    const auto start = std::chrono::steady_clock::now();
    try {
      m_out.flush();
      m_sink_dirty = false;
      const auto waited =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
      m_lag = std::max(m_lag, waited);
      return true;
    } catch (const OutputClosed&) {
      m_closed = true;
    } catch (const StoppableOutput::Stopped&) {
      m_stopped = true;
    } catch (const std::exception& e) {
      m_write_error = e.what();
    }
    return false;
  }

  // --stats-every (m_mu held): received, written, and lag_ms, the longest a
  // message waited for the reader of stdout since the last stats record.
  void write_stats() {
    std::string& line = m_out.buffer();
    {
      const record::Counter counters[] = {{fields::received, std::uint64_t{m_received}},
                                          {fields::written, std::uint64_t{m_written}},
                                          {fields::lag_ms, static_cast<std::uint64_t>(m_lag.count())},
                                          {fields::connects, std::uint64_t{m_link->connects()}}};
      JsonWriter w(line);
      record::write(w, record::Stats{.ts = now(), .tool = "iot-mqtt-bridge", .command = "sub", .counters = counters});
    }
    line.push_back('\n');
    m_lag = {};
  }

  // On the link's thread; libmosquitto has queued the acknowledgement, which
  // leaves only after this returns (see link.hpp). A message that cannot be
  // written aborts the connection so that it is never acknowledged.
  void on_message(const Incoming& m) {
    std::lock_guard lock(m_mu);
    ++m_received;
    if (m_closed || m_done || m_stopped || !m_write_error.empty() || stop_requested()) {
      refuse();
      return;
    }
    {
      JsonWriter w(m_out.buffer());
      write_mqtt_record(w, m.topic, m.payload, m.qos, m.retain, m_opt.connect.version == 5 ? m.properties : nullptr);
    }
    m_out.buffer().push_back('\n');
    // QoS 1/2: the line must be out before the acknowledgement; QoS 0 lines
    // may wait for the main loop's flush (at most 50 ms).
    if (m.qos > 0) {
      if (!flush_locked()) {
        refuse();
        return;
      }
    } else {
      m_sink_dirty = true;
      if (m_out.buffer().size() >= 64 * 1024 && !flush_locked()) {
        refuse();
        return;
      }
    }
    ++m_written;
    if (m_opt.answer) {
      m_replies.clear();
      m_opt.answer(m.topic, m.payload, m_replies);
      for (const Reply& r : m_replies) {
        int mid = 0;
        m_link->publish(r.topic, r.payload, r.qos, false, mid);
      }
    }
    if (m_opt.count > 0 && m_written >= m_opt.count) {
      m_done = true;
      m_cv.notify_all();
    }
  }

  void refuse() {
    m_link->abort();
    m_cv.notify_all();
  }

  const SubOptions& m_opt;
  std::mutex m_mu;
  std::condition_variable m_cv;
  StoppableOutput m_out;
  bool m_sink_dirty = false;
  bool m_closed = false;
  bool m_done = false;
  bool m_stopped = false;
  std::string m_fatal;
  std::string m_write_error;
  std::uint64_t m_received = 0;
  std::uint64_t m_written = 0;
  std::chrono::milliseconds m_lag{};
  std::vector<Reply> m_replies;
  std::vector<std::pair<std::string, int>> m_filters;
  std::unique_ptr<Link> m_link;
};

} // namespace

ExitCode run_sub(const SubOptions& options, int out_fd) {
  for (const auto& s : options.subscriptions) {
    std::string error;
    if (!valid_topic_filter(s.filter, error)) throw usage_error(error);
  }
  if (options.subscriptions.empty()) throw usage_error("sub needs at least one -t FILTER");
  Subscriber s(options, out_fd);
  return s.run();
}

} // namespace iot::bridge
