#include "iot/mqtt/pub.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "iot/cli/log.hpp"
#include "iot/core/error.hpp"
#include "iot/core/signals.hpp"
#include "iot/mqtt/client.hpp"
#include "iot/record/line_reader.hpp"
#include "iot/record/output.hpp"

namespace iot::mqtt {

namespace {

using namespace std::chrono_literals;

struct Msg {
  std::uint64_t seq = 0;
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  SpoolPos pos;  // spool mode: where the record starts
};

class Publisher {
public:
  explicit Publisher(const PubOptions& o) : m_opt(o) {
    if (m_opt.spool) {
      m_spool = std::make_unique<Spool>(*m_opt.spool);
      m_spool->on_drop = [this](std::uint64_t segment, std::uint64_t records) {
        // Called with m_mu held (from append()).
        m_stats.dropped += records;
        std::erase_if(m_pending, [segment](const Msg& m) { return m.pos.segment == segment; });
        log::warn("spool full: dropped the oldest segment ({} messages not yet delivered)", records);
      };
      if (!m_spool->empty())
        log::info("spool {}: resuming with {} bytes not yet acknowledged", m_opt.spool->dir, m_spool->bytes());
    }
    ConnectOptions c = m_opt.connect;
    c.max_inflight = static_cast<int>(std::clamp<std::size_t>(m_opt.window, 1, 65535));
    Client::Events ev;
    ev.connected = [this](bool) { m_cv.notify_all(); };
    ev.lost = [this](const std::string&) { requeue_all(); };
    ev.fatal = [this](const std::string& why) {
      std::lock_guard lock(m_mu);
      m_fatal = why;
      m_cv.notify_all();
    };
    m_client = std::make_unique<Client>(std::move(c), std::move(ev));
  }

  ExitCode run(int in_fd, int out_fd, PubStats* stats_out) {
    m_client->start();
    m_sender = std::thread([this] { send_loop(); });
    bool stopped_by_signal = false;
    try {
      stopped_by_signal = read_input(in_fd);
    } catch (...) {
      shutdown();
      throw;
    }
    drain(stopped_by_signal);
    shutdown();
    return finish(out_fd, stats_out);
  }

private:
  // Returns true when a stop signal ended the input.
  bool read_input(int in_fd) {
    bool signalled = false;
    LineReader reader([&](char* buf, std::size_t size) -> std::size_t {
      for (;;) {
        pollfd p[2] = {{in_fd, POLLIN, 0}, {stop_fd(), POLLIN, 0}};
        const int r = ::poll(p, 2, -1);
        if (r < 0 && errno == EINTR) continue;
        if (stop_requested() || (p[1].revents & POLLIN) != 0) {
          signalled = true;
          return 0;
        }
        const ssize_t n = ::read(in_fd, buf, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw errno_error("cannot read stdin");
        return static_cast<std::size_t>(n);
      }
    });
    reader.set_before_read([this] {
      std::lock_guard lock(m_mu);
      if (m_spool) m_spool->flush();  // what stdin gave us is in the spool before we wait for more
    });
    MessageMapper mapper(m_opt.map);
    std::string_view line;
    OutMessage out;
    std::string error;
    while (reader.next(line)) {
      const std::size_t n = reader.line_number();
      ++m_stats.lines;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank line: nothing to send
      if (!mapper.map(line, n, out, error)) {
        skip(n, error);
        continue;
      }
      const std::uint32_t broker_max = m_client->broker_max_packet();
      // MQTT 5 §3.2.2.3.6: the broker refuses packets above its Maximum Packet Size;
      // 16 bytes cover the fixed header, topic length and packet id.
      if (broker_max > 0 && out.payload.size() + out.topic.size() + 16 > broker_max) {
        skip(n, "payload of " + std::to_string(out.payload.size()) + " bytes is larger than the broker's maximum packet size of " +
                    std::to_string(broker_max) + " bytes; refused");
        continue;
      }
      if (!enqueue(std::move(out))) {
        signalled = true;
        break;
      }
      out = OutMessage{};
    }
    std::lock_guard lock(m_mu);
    m_eof = true;
    if (m_spool) m_spool->flush();
    m_cv.notify_all();
    return signalled;
  }

  void skip(std::size_t line, const std::string& why) {
    ++m_stats.skipped;
    log::warn("line {}: {}", line, why);
  }

  // Returns false when a stop (signal or fatal error) interrupted waiting for room.
  bool enqueue(OutMessage&& out) {
    std::unique_lock lock(m_mu);
    if (m_spool) {
      for (;;) {
        const auto r = m_spool->append(out.topic, out.payload, out.qos, out.retain);
        if (r == Spool::Append::ok) break;
        if (r == Spool::Append::dropped_newest) {
          ++m_stats.dropped;
          if (m_stats.dropped == 1) log::warn("spool full: dropping new messages (--spool-full drop-newest)");
          break;
        }
        // block: wait until acknowledgements free a segment
        m_main_blocked = true;
        m_cv.notify_all();
        m_cv.wait_for(lock, 100ms);
        m_main_blocked = false;
        if (stop_requested() || !m_fatal.empty()) return false;
      }
    } else {
      const std::size_t limit = std::max<std::size_t>(m_opt.window, 1000);
      while (m_pending.size() >= limit) {
        m_main_blocked = true;
        m_cv.wait_for(lock, 100ms);
        m_main_blocked = false;
        if (stop_requested() || !m_fatal.empty()) return false;
      }
      Msg m;
      m.seq = m_next_seq++;
      m.topic = std::move(out.topic);
      m.payload = std::move(out.payload);
      m.qos = out.qos;
      m.retain = out.retain;
      m_pending.push_back(std::move(m));
    }
    if (m_sender_idle) m_cv.notify_all();
    return true;
  }

  void drain(bool stopped_by_signal) {
    std::unique_lock lock(m_mu);
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (m_opt.drain_timeout) deadline = std::chrono::steady_clock::now() + *m_opt.drain_timeout;
    if (stopped_by_signal || stop_requested()) {
      // Asked to stop: a spool keeps the rest; without one, give the window a moment.
      deadline = std::chrono::steady_clock::now() + (m_spool ? 0ms : 2000ms);
    }
    bool warned = false;
    while (!m_done && m_fatal.empty()) {
      if (deadline && std::chrono::steady_clock::now() >= *deadline) break;
      if (!warned && !m_client->connected()) {
        log::info("end of input: waiting for the broker to take {} messages", m_pending.size() + m_inflight.size());
        warned = true;
      }
      m_cv.wait_for(lock, 100ms);
      if (stop_requested() && !deadline) deadline = std::chrono::steady_clock::now() + (m_spool ? 0ms : 2000ms);
    }
  }

  void shutdown() {
    {
      std::lock_guard lock(m_mu);
      m_quit = true;
    }
    m_cv.notify_all();
    if (m_sender.joinable()) m_sender.join();
    m_client->stop(std::chrono::milliseconds(1000));
    std::lock_guard lock(m_mu);
    if (m_spool) {
      update_cursor();
      m_spool->flush();
      m_spool->sync_cursor();
    }
  }

  ExitCode finish(int out_fd, PubStats* stats_out) {
    std::lock_guard lock(m_mu);
    m_stats.connects = m_client->connects();
    const std::uint64_t left = m_pending.size() + m_inflight.size();
    if (m_spool) {
      m_stats.spool_bytes = m_spool->empty() ? 0 : m_spool->bytes();
      if (m_stats.spool_bytes > 0)
        log::warn("{} bytes of messages not yet acknowledged stay in spool {}", m_stats.spool_bytes, m_opt.spool->dir);
    } else if (left > 0) {
      m_stats.dropped += left;
      log::error("{} messages were not acknowledged by the broker and are lost", left);
    }
    if (m_opt.stats) {
      LineSink sink(out_fd);
      {
        RecordLine r(sink);
        r.w.begin_record(now(), "stats");
        r.w.field("tool", "iot-mqtt-bridge");
        r.w.field("command", "pub");
        r.w.field("lines", m_stats.lines);
        r.w.field("skipped", m_stats.skipped);
        r.w.field("published", m_stats.published);
        r.w.field("acknowledged", m_stats.acknowledged);
        r.w.field("resent", m_stats.resent);
        r.w.field("dropped", m_stats.dropped);
        r.w.field("connects", m_stats.connects);
        if (m_spool) r.w.field("spool_bytes", m_stats.spool_bytes);
        r.w.end_object();
      }
      sink.flush();
    }
    if (stats_out != nullptr) *stats_out = m_stats;
    if (!m_fatal.empty()) throw io_error(m_fatal);
    if (m_stats.dropped > 0) {
      log::error("{} messages dropped", m_stats.dropped);
      return ExitCode::data_lost;
    }
    if (m_stats.skipped > 0) return ExitCode::bad_input;
    return ExitCode::ok;
  }

  // ---- sender thread -------------------------------------------------------

  void send_loop() {
    std::unique_lock lock(m_mu);
    auto last_sync = std::chrono::steady_clock::now();
    SpoolRecord rec;
    while (!m_quit) {
      merge_requeued();
      bool progressed = false;
      if (m_client->connected()) {
        while (m_inflight.size() < m_opt.window) {
          if (m_pending.empty() && m_spool) {
            while (m_pending.size() < m_opt.window && m_spool->read_next(rec)) {
              Msg m;
              m.seq = m_next_seq++;
              m.topic = std::move(rec.topic);
              m.payload = std::move(rec.payload);
              m.qos = rec.qos;
              m.retain = rec.retain;
              m.pos = rec.pos;
              m_pending.push_back(std::move(m));
            }
          }
          if (m_pending.empty()) break;
          if (!send_batch(lock)) break;
          progressed = true;
        }
      }
      const auto t = std::chrono::steady_clock::now();
      if (m_spool && (m_main_blocked || t - last_sync >= 100ms)) {
        update_cursor();
        m_spool->sync_cursor();
        last_sync = t;
        if (m_main_blocked) m_cv.notify_all();
      }
      if (m_eof && m_pending.empty() && m_inflight.empty() && m_requeued.empty() && (!m_spool || m_spool->read_all())) {
        if (!m_done) {
          if (m_spool) {
            update_cursor();
            m_spool->sync_cursor();
          }
          m_done = true;
          m_cv.notify_all();
        }
      }
      if (!progressed) {
        m_sender_idle = true;
        m_cv.wait_for(lock, 50ms);
        m_sender_idle = false;
      }
    }
  }

  // Sends up to a batch from the front of m_pending. Paho calls completion
  // callbacks with its own lock held, so m_mu must not be held while calling
  // into Paho: the batch is sent unlocked, and answers that arrive before the
  // token is recorded are kept in m_early. Returns false when nothing was sent.
  bool send_batch(std::unique_lock<std::mutex>& lock) {
    std::vector<Msg> batch;
    const std::size_t room = m_opt.window - m_inflight.size();
    while (!m_pending.empty() && batch.size() < std::min<std::size_t>(room, 64)) {
      batch.push_back(std::move(m_pending.front()));
      m_pending.pop_front();
    }
    if (batch.empty()) return false;
    const std::uint64_t generation = m_lost_generation;
    m_sending = true;
    lock.unlock();
    std::vector<int> tokens(batch.size(), 0);
    std::size_t sent = 0;
    int last_rc = MQTTASYNC_SUCCESS;
    for (; sent < batch.size(); ++sent) {
      Msg& m = batch[sent];
      MQTTAsync_message msg = MQTTAsync_message_initializer;
      msg.payload = m.payload.data();
      msg.payloadlen = static_cast<int>(m.payload.size());
      msg.qos = m.qos;
      msg.retained = m.retain ? 1 : 0;
      MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
      ro.context = this;
      if (m_opt.connect.version == 5) {
        ro.onSuccess5 = &Publisher::on_success5;
        ro.onFailure5 = &Publisher::on_failure5;
      } else {
        ro.onSuccess = &Publisher::on_success;
        ro.onFailure = &Publisher::on_failure;
      }
      last_rc = MQTTAsync_sendMessage(m_client->handle(), m.topic.c_str(), &msg, &ro);
      if (last_rc != MQTTASYNC_SUCCESS) break;
      tokens[sent] = ro.token;
    }
    lock.lock();
    m_sending = false;
    if (last_rc != MQTTASYNC_SUCCESS && last_rc != MQTTASYNC_DISCONNECTED)
      log::debug("publish refused by the client library: {}", MQTTAsync_strerror(last_rc));
    // Not sent: back to the front, in order.
    for (std::size_t i = batch.size(); i > sent; --i) m_pending.push_front(std::move(batch[i - 1]));
    m_stats.published += sent;
    const bool lost = generation != m_lost_generation;
    for (std::size_t i = 0; i < sent; ++i) {
      auto early = m_early.find(tokens[i]);
      if (early != m_early.end()) {
        if (early->second) {
          ++m_stats.acknowledged;
        } else {
          ++m_stats.resent;
          m_requeued.push_back(std::move(batch[i]));
        }
        continue;
      }
      if (lost) {
        // The connection dropped while we were sending: these may never be answered.
        ++m_stats.resent;
        m_requeued.push_back(std::move(batch[i]));
        continue;
      }
      m_inflight.emplace(tokens[i], std::move(batch[i]));
    }
    m_early.clear();
    return sent > 0;
  }

  // Spool mode: the cursor is the first record not yet acknowledged.
  void update_cursor() {
    if (!m_spool) return;
    SpoolPos c = m_spool->read_pos();
    bool any = false;
    auto consider = [&](const Msg& m) {
      if (!any || m.pos < c) c = m.pos;
      any = true;
    };
    for (const Msg& m : m_pending) consider(m);
    for (const auto& [token, m] : m_inflight) consider(m);
    for (const Msg& m : m_requeued) consider(m);
    if (!any) c = m_spool->read_pos();
    m_spool->set_cursor(c);
  }

  void merge_requeued() {
    if (m_requeued.empty()) return;
    std::sort(m_requeued.begin(), m_requeued.end(), [](const Msg& a, const Msg& b) { return a.seq > b.seq; });
    for (Msg& m : m_requeued) m_pending.push_front(std::move(m));
    m_requeued.clear();
  }

  void requeue_all() {
    std::lock_guard lock(m_mu);
    ++m_lost_generation;
    for (auto& [token, m] : m_inflight) m_requeued.push_back(std::move(m));
    m_stats.resent += m_inflight.size();
    m_inflight.clear();
    m_cv.notify_all();
  }

  void acked(int token) {
    std::lock_guard lock(m_mu);
    auto it = m_inflight.find(token);
    if (it == m_inflight.end()) {
      if (m_sending) m_early.emplace(token, true);  // answered before send_batch() recorded it
      return;                                     // else: a late answer for a message already queued again
    }
    m_inflight.erase(it);
    ++m_stats.acknowledged;
    if (m_sender_idle) m_cv.notify_all();
  }

  void failed(int token, int code) {
    std::lock_guard lock(m_mu);
    auto it = m_inflight.find(token);
    if (it == m_inflight.end()) {
      if (m_sending) m_early.emplace(token, false);
      return;
    }
    log::debug("publish failed ({}); it will be sent again", code);
    m_requeued.push_back(std::move(it->second));
    m_inflight.erase(it);
    ++m_stats.resent;
    m_cv.notify_all();
  }

  static void on_success(void* ctx, MQTTAsync_successData* d) {
    if (d != nullptr) static_cast<Publisher*>(ctx)->acked(d->token);
  }
  static void on_failure(void* ctx, MQTTAsync_failureData* d) {
    if (d != nullptr) static_cast<Publisher*>(ctx)->failed(d->token, d->code);
  }
  static void on_success5(void* ctx, MQTTAsync_successData5* d) {
    if (d != nullptr) static_cast<Publisher*>(ctx)->acked(d->token);
  }
  static void on_failure5(void* ctx, MQTTAsync_failureData5* d) {
    if (d != nullptr) static_cast<Publisher*>(ctx)->failed(d->token, d->reasonCode != 0 ? d->reasonCode : d->code);
  }

  const PubOptions& m_opt;
  std::unique_ptr<Spool> m_spool;
  std::unique_ptr<Client> m_client;
  std::thread m_sender;

  std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<Msg> m_pending;
  std::unordered_map<int, Msg> m_inflight;
  std::vector<Msg> m_requeued;
  std::unordered_map<int, bool> m_early;  // token -> acknowledged, for answers faster than send_batch()
  bool m_sending = false;
  std::uint64_t m_lost_generation = 0;
  std::uint64_t m_next_seq = 1;
  bool m_eof = false;
  bool m_done = false;
  bool m_quit = false;
  bool m_sender_idle = false;
  bool m_main_blocked = false;
  std::string m_fatal;
  PubStats m_stats;
};

}  // namespace

ExitCode run_pub(const PubOptions& options, int in_fd, int out_fd, PubStats* stats_out) {
  Publisher p(options);
  return p.run(in_fd, out_fd, stats_out);
}

}  // namespace iot::mqtt
