#include "iot/bridge/pub.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/mqtt/codec.hpp"
#include "iot/mqtt/link.hpp"
#include "iot/record/line_reader.hpp"
#include "iot/record/output.hpp"
#include "iot/record/records.hpp"

namespace iot::bridge {

using mqtt::base64_encode;
using mqtt::Link;
using mqtt::Spool;
using mqtt::SpoolPos;
using mqtt::SpoolRecord;
using mqtt::valid_utf8;

namespace {

using namespace std::chrono_literals;

struct Msg {
  std::uint64_t seq = 0;
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  SpoolPos pos; // spool mode: where the record starts
};

// Messages handed to the link and not yet complete, by packet id. QoS 0
// messages complete in the order they were handed over (the link writes them in
// order), so they wait in a FIFO, without a hash-table node each; answers to
// QoS 1/2 messages may come in any order.
class InFlight {
public:
  std::size_t size() const { return m_fifo.size() + m_by_mid.size(); }
  bool empty() const { return m_fifo.empty() && m_by_mid.empty(); }
  void add(int mid, Msg&& m) {
    if (m.qos == 0)
      m_fifo.emplace_back(mid, std::move(m));
    else
      m_by_mid.emplace(mid, std::move(m));
  }
  // Removes the message with packet id `mid` into `out`; false when none is in flight.
  bool take(int mid, Msg& out) {
    if (!m_fifo.empty() && m_fifo.front().first == mid) {
      out = std::move(m_fifo.front().second);
      m_fifo.pop_front();
      return true;
    }
    if (auto it = m_by_mid.find(mid); it != m_by_mid.end()) {
      out = std::move(it->second);
      m_by_mid.erase(it);
      return true;
    }
    for (auto it = m_fifo.begin(); it != m_fifo.end(); ++it) {
      if (it->first != mid) continue;
      out = std::move(it->second);
      m_fifo.erase(it);
      return true;
    }
    return false;
  }
  template <class F> void for_each(F&& f) const {
    for (const auto& entry : m_fifo)
      f(entry.second);
    for (const auto& entry : m_by_mid)
      f(entry.second);
  }
  // The message sent first (lowest seq), or null.
  const Msg* oldest() const {
    const Msg* best = nullptr;
    for_each([&](const Msg& m) {
      if (best == nullptr || m.seq < best->seq) best = &m;
    });
    return best;
  }
  // Moves every message to `out`.
  void take_all(std::vector<Msg>& out) {
    take_qos0(out);
    for (auto& entry : m_by_mid)
      out.push_back(std::move(entry.second));
    m_by_mid.clear();
  }
  // Moves every QoS 0 message, oldest first, to `out`.
  void take_qos0(std::vector<Msg>& out) {
    for (auto& entry : m_fifo)
      out.push_back(std::move(entry.second));
    m_fifo.clear();
  }

private:
  std::deque<std::pair<int, Msg>> m_fifo;
  std::unordered_map<int, Msg> m_by_mid;
};

class Publisher {
public:
  explicit Publisher(const PubOptions& o) : m_opt(o) {
    if (m_opt.spool) {
      m_spool = std::make_unique<Spool>(*m_opt.spool);
      m_spool->on_drop = [this](std::uint64_t segment, std::uint64_t records) {
        // Called with m_mu held (from append()).
        m_stats.dropped += records;
        m_spool_messages -= std::min(m_spool_messages, records);
        std::erase_if(m_pending, [segment](const Msg& m) { return m.pos.segment == segment; });
        log::warn("spool full: dropped the oldest segment ({} messages not yet delivered)", records);
      };
      if (!m_spool->empty())
        log::info("spool {}: resuming with {} bytes not yet acknowledged", m_opt.spool->dir, m_spool->bytes());
      // What a previous run left is sent again: counted as resent.
      m_replay_left = m_spool->recovered();
      m_spool_messages = m_spool->recovered();
    }
    m_link = make_link();
  }

  // A link whose callbacks act only while it is the current one (a poison
  // message replaces the link, see handle_poison()).
  std::unique_ptr<Link> make_link() {
    const std::uint64_t generation = ++m_link_generation;
    Link::Events ev;
    ev.connected = [this](bool) {
      m_broker_max = m_link_ptr.load()->broker_max_packet();
      m_sender_cv.notify_one();
    };
    ev.lost = [this, generation](const std::string&) { connection_lost(generation); };
    ev.completed = [this, generation](int mid, int reason) { completed(generation, mid, reason); };
    ev.fatal = [this](const std::string& why) {
      std::lock_guard lock(m_mu);
      m_fatal = why;
      wake_all();
    };
    auto link = std::make_unique<Link>(m_opt.connect, std::move(ev));
    m_link_ptr = link.get();
    return link;
  }

  ExitCode run(int in_fd, int out_fd, PubStats* stats_out) {
    m_out_fd = out_fd;
    m_next_stats = std::chrono::steady_clock::now() + m_opt.stats_every.value_or(std::chrono::hours(24 * 365));
    m_link->start();
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
    // Lines are mapped into a batch that goes to the queue (and, room allowing,
    // to the link) under one lock: before stdin is read again, so nothing
    // waits on a quiet input, or when it is full.
    std::vector<OutMessage> batch;
    bool interrupted = false;
    reader.set_before_read([&] {
      if (!enqueue_batch(batch)) interrupted = true;
      std::lock_guard lock(m_mu);
      if (m_spool) m_spool->flush(); // what stdin gave us is in the spool before we wait for more
    });
    MessageMapper mapper(m_opt.map);
    std::string_view line;
    OutMessage out;
    std::string error;
    while (!interrupted && reader.next(line)) {
      const std::size_t n = reader.line_number();
      ++m_stats.lines;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue; // blank line: nothing to send
      if (!mapper.map(line, n, out, error)) {
        skip(n, error);
        continue;
      }
      const std::uint32_t broker_max = m_broker_max.load();
      // MQTT 5 §3.2.2.3.6: the broker refuses packets above its Maximum Packet Size;
      // 16 bytes cover the fixed header, topic length and packet id.
      if (broker_max > 0 && out.payload.size() + out.topic.size() + 16 > broker_max) {
        skip(n, "payload of " + std::to_string(out.payload.size()) +
                    " bytes is larger than the broker's maximum packet size of " + std::to_string(broker_max) +
                    " bytes; refused");
        continue;
      }
      batch.push_back(std::move(out));
      out = OutMessage{};
      if (batch.size() >= k_batch && !enqueue_batch(batch)) interrupted = true;
    }
    if (!interrupted && !enqueue_batch(batch)) interrupted = true;
    if (interrupted) signalled = true;
    std::lock_guard lock(m_mu);
    m_eof = true;
    if (m_spool) m_spool->flush();
    m_sender_cv.notify_one();
    return signalled;
  }

  void skip(std::size_t line, const std::string& why) {
    ++m_stats.skipped;
    log::warn("line {}: {}", line, why);
  }

  static constexpr std::size_t k_batch = 256;

  // A queued message from a mapped line (OutMessage) or a spool record
  // (SpoolRecord, which also knows where it sits in the spool).
  template <class Source> Msg make_msg(Source&& from) {
    Msg m;
    m.seq = m_next_seq++;
    m.topic = std::move(from.topic);
    m.payload = std::move(from.payload);
    m.qos = from.qos;
    m.retain = from.retain;
    if constexpr (std::is_same_v<std::decay_t<Source>, SpoolRecord>) m.pos = from.pos;
    return m;
  }

  // Queues a batch of messages and, while the window has room and nothing
  // waits ahead of them, hands them to the link from this thread. Empties
  // `batch`. Returns false when a stop interrupted waiting for room.
  bool enqueue_batch(std::vector<OutMessage>& batch) {
    if (batch.empty()) return true;
    bool ok = true;
    if (m_spool) {
      for (OutMessage& out : batch)
        if (!enqueue(std::move(out))) {
          ok = false;
          break;
        }
      batch.clear();
      return ok;
    }
    std::unique_lock lock(m_mu);
    for (OutMessage& out : batch) {
      while (m_pending.size() >= m_queue_limit) {
        if (may_publish_directly() && send_batch(lock)) continue;
        m_main_blocked = true;
        m_main_cv.wait_for(lock, 100ms);
        m_main_blocked = false;
        if (stop_requested() || !m_fatal.empty()) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
      m_pending.push_back(make_msg(std::move(out)));
    }
    batch.clear();
    while (!m_pending.empty() && may_publish_directly())
      if (!send_batch(lock)) break;
    if (m_sender_idle && !m_pending.empty() && m_inflight.size() < m_opt.window) m_sender_cv.notify_one();
    return ok;
  }

  // Spool mode: appends one message to the spool (the sender sends from there).
  // Returns false when a stop (signal or fatal error) interrupted waiting for room.
  bool enqueue(OutMessage&& out) {
    std::unique_lock lock(m_mu);
    if (m_spool) {
      for (;;) {
        const auto r = m_spool->append(out.topic, out.payload, out.qos, out.retain);
        if (r == Spool::Append::ok) {
          ++m_spool_messages;
          break;
        }
        if (r == Spool::Append::dropped_newest) {
          ++m_stats.dropped;
          if (m_stats.dropped == 1) log::warn("spool full: dropping new messages (--spool-full drop-newest)");
          break;
        }
        // block: wait until acknowledgements free a segment
        m_main_blocked = true;
        m_sender_cv.notify_one();
        m_main_cv.wait_for(lock, 100ms);
        m_main_blocked = false;
        if (stop_requested() || !m_fatal.empty()) return false;
      }
    }
    if (m_sender_idle && !m_pending.empty() && m_inflight.size() < m_opt.window) m_sender_cv.notify_one();
    return true;
  }

  // Whether a thread other than the sender may hand the front of the queue to
  // the link now without passing a message queued earlier (m_mu held).
  bool may_publish_directly() const {
    return !m_sending && m_requeued.empty() && m_inflight.size() < m_opt.window && m_link->connected();
  }

  enum class Handed { sent, no_connection, dropped };

  // Hands one message to the link with m_mu held. (Safe: the link's callbacks
  // take m_mu, but libmosquitto holds none of the locks publish() needs while
  // calling them.)
  Handed publish_locked(Msg& m) {
    int mid = 0;
    const auto r = m_link->publish(m.topic, m.payload, m.qos, m.retain, mid);
    if (r == Link::Sent::no_connection) return Handed::no_connection;
    if (r != Link::Sent::ok) {
      drop_refused(m, r);
      return Handed::dropped;
    }
    ++m_stats.published;
    m_inflight.add(mid, std::move(m));
    return Handed::sent;
  }

  void drop_refused(const Msg& m, Link::Sent r) {
    ++m_stats.dropped;
    if (r == Link::Sent::too_large)
      log::error("a message of {} bytes on topic {} is larger than the broker accepts; dropped", m.payload.size(),
                 m.topic);
    else
      log::error("message on topic {} refused by the client library: {}; dropped", m.topic, m_link->last_error());
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
      if (deadline && std::chrono::steady_clock::now() >= *deadline) {
        m_drain_timed_out = !stopped_by_signal && !stop_requested();
        break;
      }
      if (!warned && !m_link->connected()) {
        log::info("end of input: waiting for the broker to take {} messages", m_pending.size() + m_inflight.size());
        warned = true;
      }
      m_main_cv.wait_for(lock, 100ms);
      if (stop_requested() && !deadline) deadline = std::chrono::steady_clock::now() + (m_spool ? 0ms : 2000ms);
    }
  }

  void shutdown() {
    {
      std::lock_guard lock(m_mu);
      m_quit = true;
    }
    wake_all();
    if (m_sender.joinable()) m_sender.join();
    m_link->stop(std::chrono::milliseconds(1000));
    std::lock_guard lock(m_mu);
    if (m_spool) {
      update_cursor();
      m_spool->flush();
      m_spool->sync_cursor();
    }
  }

  ExitCode finish(int out_fd, PubStats* stats_out) {
    std::lock_guard lock(m_mu);
    const std::uint64_t left = m_pending.size() + m_inflight.size() + m_requeued.size();
    bool left_in_spool = false;
    if (m_spool) {
      if (!m_spool->empty()) {
        left_in_spool = true;
        log::warn("{} messages ({} bytes) not yet acknowledged stay in spool {}", m_spool_messages, m_spool->bytes(),
                  m_opt.spool->dir);
      }
    } else if (left > 0) {
      m_stats.dropped += left;
      log::error("{} messages were not acknowledged by the broker and are lost", left);
    }
    fill_gauges();
    if (m_opt.stats) {
      LineSink sink(out_fd);
      try {
        std::string& line = sink.begin_line();
        write_stats(line);
        sink.end_line();
        sink.flush();
      } catch (const OutputClosed&) {
      }
    }
    if (stats_out != nullptr) *stats_out = m_stats;
    if (!m_fatal.empty()) throw io_error(m_fatal);
    if (m_stats.dropped > 0) {
      log::error("{} messages dropped", m_stats.dropped);
      return ExitCode::data_lost;
    }
    if (m_drain_timed_out && left_in_spool) {
      log::error("--drain-timeout passed with messages left in the spool");
      return ExitCode::timeout;
    }
    if (m_stats.skipped > 0) return ExitCode::bad_input;
    return ExitCode::ok;
  }

  // The gauges of the stats record (m_mu held).
  void fill_gauges() {
    m_stats.connects = m_link->connects() + m_connects_before;
    m_stats.queued = m_pending.size() + m_requeued.size();
    m_stats.in_flight = m_inflight.size();
    if (m_spool) {
      m_stats.spool_bytes = m_spool->empty() ? 0 : m_spool->bytes();
      m_stats.spool_messages = m_spool->empty() ? 0 : m_spool_messages;
    }
  }

  // One stats record (iot-mqtt-bridge(1) lists the fields) into `line`.
  void write_stats(std::string& line) const {
    namespace f = fields;
    const record::Counter counters[] = {{f::lines, m_stats.lines},
                                        {f::skipped, m_stats.skipped},
                                        {f::published, m_stats.published},
                                        {f::acknowledged, m_stats.acknowledged},
                                        {f::resent, m_stats.resent},
                                        {f::dropped, m_stats.dropped},
                                        {f::dead_letter, m_stats.dead_letter},
                                        {f::connects, m_stats.connects},
                                        {f::queued, m_stats.queued},
                                        {f::in_flight, m_stats.in_flight},
                                        {f::spool_bytes, m_stats.spool_bytes},
                                        {f::spool_messages, m_stats.spool_messages}};
    JsonWriter w(line);
    // The spool's counters only with a spool.
    record::write(w, record::Stats{.ts = now(),
                                   .tool = "iot-mqtt-bridge",
                                   .command = "pub",
                                   .counters = std::span(counters).first(m_spool ? std::size(counters)
                                                                                 : std::size(counters) - 2)});
  }

  // --stats-every, from the sender thread: the line is made under m_mu and
  // written without it, so a slow reader of stdout stalls only these records.
  void maybe_write_periodic_stats(std::unique_lock<std::mutex>& lock) {
    if (!m_opt.stats_every || m_stats_closed) return;
    const auto t = std::chrono::steady_clock::now();
    if (t < m_next_stats) return;
    m_next_stats = t + *m_opt.stats_every;
    fill_gauges();
    std::string line;
    write_stats(line);
    line.push_back('\n');
    lock.unlock();
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(m_out_fd, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        m_stats_closed = true; // the reader went away; the data still goes to the broker
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    lock.lock();
  }

  // ---- poison messages -----------------------------------------------------

  // Whether `m` is at least as large as a message the broker refused by
  // disconnecting; such a message is moved aside at once (m_mu held).
  bool known_poison(Msg& m) {
    if (m.payload.size() < m_refused_size) return false;
    dead_letter(m, "the broker refused a message of " + std::to_string(m_refused_size) +
                       " bytes by disconnecting, and this one is as large");
    return true;
  }

  // Moves one message aside (m_mu held): DIR/dead-letter.jsonl with a spool.
  void dead_letter(const Msg& m, const std::string& reason) {
    ++m_stats.dropped;
    ++m_stats.dead_letter;
    if (m_spool && m_spool_messages > 0 && m.pos.segment != 0) --m_spool_messages;
    if (!m_spool) {
      log::error("message of {} bytes on topic {} dropped: {} (with --spool it would go to the dead-letter file)",
                 m.payload.size(), m.topic, reason);
      return;
    }
    const std::string path = m_opt.spool->dir + "/dead-letter.jsonl";
    std::string line;
    {
      std::string b64;
      record::Mqtt rec;
      rec.ts = now();
      rec.topic = m.topic;
      if (valid_utf8(m.payload)) {
        rec.payload = m.payload;
      } else {
        b64 = base64_encode(m.payload);
        rec.payload = b64;
        rec.form = record::Mqtt::Form::base64;
      }
      rec.qos = m.qos;
      rec.retain = m.retain;
      rec.reason = reason;
      JsonWriter w(line);
      record::write(w, rec);
    }
    line.push_back('\n');
    const int fd = Spool::create_file(path, O_WRONLY | O_APPEND);
    bool ok = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    if (fd >= 0) ok = ::fsync(fd) == 0 && ok;
    if (fd >= 0) ::close(fd);
    if (ok)
      log::error("message of {} bytes on topic {} moved to {}: {}", m.payload.size(), m.topic, path, reason);
    else
      log::error("message of {} bytes on topic {} dropped ({}), and it could not be written to {}: {}",
                 m.payload.size(), m.topic, reason, path, std::strerror(errno));
  }

  // The connection was lost k_poison_disconnects times with the same oldest
  // message unacknowledged. libmosquitto keeps a QoS 1/2 message it was given
  // until the broker acknowledges it, and offers no way to take one back, so
  // the link is replaced: everything else in flight is handed to the new one.
  void handle_poison(std::unique_lock<std::mutex>& lock) {
    std::vector<Msg> back;
    m_inflight.take_all(back);
    for (Msg& m : m_requeued)
      back.push_back(std::move(m));
    m_requeued.clear();
    std::sort(back.begin(), back.end(), [](const Msg& a, const Msg& b) { return a.seq > b.seq; });
    for (Msg& m : back) {
      if (m.seq == m_poison_seq) {
        m_refused_size = std::min<std::uint64_t>(m_refused_size, m.payload.size());
        dead_letter(m, "the broker closed the connection " + std::to_string(k_poison_disconnects) +
                           " times in a row while this message of " + std::to_string(m.payload.size()) +
                           " bytes was the oldest unacknowledged one (larger than the broker accepts, or refused "
                           "by it)");
        continue;
      }
      ++m_stats.resent;
      m_pending.push_front(std::move(m));
    }
    m_poison_seq = 0;
    m_suspect_seq = 0;
    m_suspect_losses = 0;
    m_connects_before += m_link->connects();
    std::unique_ptr<Link> old = std::move(m_link);
    m_link = make_link();
    lock.unlock();
    old->abort();
    old->stop(std::chrono::milliseconds(0));
    old.reset();
    lock.lock();
    m_link->start();
  }

  void wake_all() {
    m_sender_cv.notify_all();
    m_main_cv.notify_all();
  }

  // ---- sender thread -------------------------------------------------------

  void send_loop() {
    std::unique_lock lock(m_mu);
    auto last_sync = std::chrono::steady_clock::now();
    SpoolRecord rec;
    while (!m_quit) {
      if (m_poison_seq != 0 && !m_sending) handle_poison(lock);
      maybe_write_periodic_stats(lock);
      merge_requeued();
      bool progressed = false;
      if (m_link->connected()) {
        while (m_inflight.size() < m_opt.window) {
          if (m_pending.empty() && m_spool) {
            while (m_pending.size() < m_opt.window && m_spool->read_next(rec)) {
              if (m_replay_left > 0) { // left by a previous run: sent again
                --m_replay_left;
                ++m_stats.resent;
              }
              m_pending.push_back(make_msg(std::move(rec)));
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
        if (m_main_blocked) m_main_cv.notify_all();
      }
      if (m_eof && m_pending.empty() && m_inflight.empty() && m_requeued.empty() && (!m_spool || m_spool->read_all())) {
        if (!m_done) {
          if (m_spool) {
            update_cursor();
            m_spool->sync_cursor();
          }
          m_done = true;
          m_main_cv.notify_all();
        }
      }
      if (!progressed) {
        m_sender_idle = true;
        m_sender_cv.wait_for(lock, 50ms);
        m_sender_idle = false;
      }
    }
  }

  // Sends up to a batch from the front of m_pending. m_mu is not held while
  // handing messages to the link, so completions may arrive before a message's
  // id is recorded: those are kept in m_early. Returns false when nothing was sent.
  bool send_batch(std::unique_lock<std::mutex>& lock) {
    if (m_sending) return false; // another thread is handing over the messages ahead
    std::vector<Msg> batch;
    const std::size_t room = m_opt.window - m_inflight.size();
    while (!m_pending.empty() && batch.size() < std::min<std::size_t>(room, 256)) {
      if (!known_poison(m_pending.front())) batch.push_back(std::move(m_pending.front()));
      m_pending.pop_front();
    }
    if (batch.empty()) return false;
    if (m_main_blocked) m_main_cv.notify_all(); // room in the queue for the reader of stdin
    const std::uint64_t generation = m_lost_generation;
    m_sending = true;
    lock.unlock();
    std::vector<int> mids(batch.size(), 0);
    std::vector<Link::Sent> results(batch.size(), Link::Sent::ok);
    std::size_t handled = 0;
    for (; handled < batch.size(); ++handled) {
      Msg& m = batch[handled];
      results[handled] = m_link->publish(m.topic, m.payload, m.qos, m.retain, mids[handled]);
      if (results[handled] == Link::Sent::no_connection) break;
    }
    lock.lock();
    m_sending = false;
    // Not sent for want of a connection: back to the front, in order.
    for (std::size_t i = batch.size(); i > handled; --i)
      m_pending.push_front(std::move(batch[i - 1]));
    const bool lost = generation != m_lost_generation;
    bool any = false;
    for (std::size_t i = 0; i < handled; ++i) {
      Msg& m = batch[i];
      if (results[i] == Link::Sent::too_large || results[i] == Link::Sent::failed) {
        drop_refused(m, results[i]);
        continue;
      }
      any = true;
      ++m_stats.published;
      auto early = m_early.find(mids[i]);
      if (early != m_early.end()) {
        note_completion(early->second, std::move(m));
        m_early.erase(early);
        continue;
      }
      if (lost && m.qos == 0) {
        // The connection dropped while we were sending: an unwritten QoS 0
        // message died with the socket. (QoS 1/2 stay queued in the link.)
        ++m_stats.resent;
        m_requeued.push_back(std::move(m));
        continue;
      }
      m_inflight.add(mids[i], std::move(m));
    }
    m_early.clear();
    return any || handled > 0;
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
    for (const Msg& m : m_pending)
      consider(m);
    m_inflight.for_each(consider);
    for (const Msg& m : m_requeued)
      consider(m);
    if (!any) c = m_spool->read_pos();
    m_spool->set_cursor(c);
  }

  void merge_requeued() {
    if (m_requeued.empty()) return;
    std::sort(m_requeued.begin(), m_requeued.end(), [](const Msg& a, const Msg& b) { return a.seq > b.seq; });
    for (Msg& m : m_requeued)
      m_pending.push_front(std::move(m));
    m_requeued.clear();
  }

  // The link lost its connection. QoS 1/2 messages stay queued in the link and
  // are sent again after the reconnect; QoS 0 messages not yet written are gone
  // with the socket, so they are queued again here.
  void connection_lost(std::uint64_t link_generation) {
    std::lock_guard lock(m_mu);
    if (link_generation != m_link_generation) return;
    ++m_lost_generation;
    // A poison suspect: the same message the oldest unacknowledged at every loss.
    if (const Msg* oldest = m_inflight.oldest()) {
      if (oldest->seq == m_suspect_seq) {
        if (++m_suspect_losses >= k_poison_disconnects) m_poison_seq = m_suspect_seq;
      } else {
        m_suspect_seq = oldest->seq;
        m_suspect_losses = 1;
      }
    }
    // QoS 1/2 messages in flight are resent by libmosquitto after the
    // reconnect: PUBLISH packets, counted in published and resent. QoS 0 ones
    // are queued again here (and counted when they go out again).
    std::uint64_t by_library = 0;
    m_inflight.for_each([&](const Msg& m) { by_library += m.qos > 0 ? 1 : 0; });
    m_stats.resent += m_inflight.size();
    m_stats.published += by_library;
    m_inflight.take_qos0(m_requeued);
    m_sender_cv.notify_one();
  }

  // MQTT 5.0 §3.4.2.1: a PUBACK reason code of 0x80 or more means the broker
  // did not accept the message (e.g. 0x87 not authorized, 0x97 quota exceeded).
  static bool refused(int reason) { return reason >= 0x80; }

  void note_completion(int reason, Msg&& m) {
    if (m.seq == m_suspect_seq) m_suspect_losses = 0;
    if (m_spool && m_spool_messages > 0) --m_spool_messages;
    if (!refused(reason)) {
      ++m_stats.acknowledged;
      return;
    }
    ++m_stats.dropped;
    log::error("the broker refused a message on topic {} (reason code 0x{:02x}); dropped", m.topic, reason);
  }

  void completed(std::uint64_t link_generation, int mid, int reason) {
    std::lock_guard lock(m_mu);
    if (link_generation != m_link_generation) return;
    if (!m_inflight.take(mid, m_done_msg)) {
      if (m_sending) m_early.emplace(mid, reason); // answered before send_batch() recorded it
      return;
    }
    note_completion(reason, std::move(m_done_msg));
    // Refill the window from here, on the link's own thread: every answer lets
    // the next message out at once, without waking another thread. (Waiting to
    // refill in batches stalls against a broker that delays its PUBACKs with
    // Nagle's algorithm until our next segment carries a TCP ACK.)
    for (int n = 0; n < 64 && !m_pending.empty() && may_publish_directly(); ++n) {
      if (known_poison(m_pending.front())) {
        m_pending.pop_front();
        continue;
      }
      if (publish_locked(m_pending.front()) == Handed::no_connection) break;
      m_pending.pop_front();
    }
    if (m_main_blocked && m_pending.size() <= m_queue_limit / 2) m_main_cv.notify_one();
    const bool sender_needed = (m_eof && m_inflight.empty()) || (m_pending.empty() && m_spool) || !m_requeued.empty();
    if (m_sender_idle && sender_needed && m_opt.window - m_inflight.size() >= m_wake_room) m_sender_cv.notify_one();
  }

  const PubOptions& m_opt;
  std::unique_ptr<Spool> m_spool;
  std::unique_ptr<Link> m_link;
  std::atomic<Link*> m_link_ptr{nullptr};     // m_link, for its own callbacks
  std::uint64_t m_link_generation = 0;        // which link's callbacks count (m_mu)
  std::uint64_t m_connects_before = 0;        // connects of links replaced
  std::atomic<std::uint32_t> m_broker_max{0}; // MQTT 5 Maximum Packet Size of the broker
  std::uint64_t m_suspect_seq = 0;            // oldest unacknowledged message at the last loss
  int m_suspect_losses = 0;
  std::uint64_t m_poison_seq = 0;       // to move aside (sender thread)
  std::uint64_t m_refused_size = ~0ull; // smallest payload the broker refused by disconnecting
  std::uint64_t m_replay_left = 0;      // spool records left by a previous run, not yet read
  std::uint64_t m_spool_messages = 0;
  bool m_drain_timed_out = false;
  int m_out_fd = 1;
  std::chrono::steady_clock::time_point m_next_stats{};
  bool m_stats_closed = false;
  std::thread m_sender;

  std::mutex m_mu;
  std::condition_variable m_sender_cv; // the sender waits here for work or window room
  std::condition_variable m_main_cv;   // the reader of stdin waits here for queue room, and for the end
  const std::size_t m_wake_room = std::clamp<std::size_t>(m_opt.window / 4, 1, 256);
  const std::size_t m_queue_limit = std::max<std::size_t>(m_opt.window, 1000); // messages read ahead of the window
  std::deque<Msg> m_pending;
  InFlight m_inflight;
  Msg m_done_msg; // the message last completed (reused storage)
  std::vector<Msg> m_requeued;
  std::unordered_map<int, int> m_early; // mid -> reason code, for answers faster than send_batch()
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

} // namespace

ExitCode run_pub(const PubOptions& options, int in_fd, int out_fd, PubStats* stats_out) {
  Publisher p(options);
  return p.run(in_fd, out_fd, stats_out);
}

} // namespace iot::bridge
