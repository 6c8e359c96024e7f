#include "iot/poll/engine.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <mutex>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/modbus/answer.hpp"
#include "iot/poll/outcome.hpp"
#include "iot/poll/pdu.hpp"
#include "iot/record/record.hpp"

namespace iot::poll {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

Micros steady_us() { return duration_cast<Micros>(SteadyClock::now().time_since_epoch()); }

Quality quality_of(transport::ReplyStatus s) {
  switch (s) {
  case transport::ReplyStatus::ok: return Quality::ok;
  case transport::ReplyStatus::timeout: return Quality::timeout;
  case transport::ReplyStatus::crc: return Quality::crc;
  default: return Quality::error;
  }
}

} // namespace

struct PointState {
  std::optional<AlarmEngine> alarm;
  ReportFilter filter;
  std::uint16_t count = 1; // registers or bits of the point
  PointCache cache;        // its records' constant parts, rendered once
};

struct DeviceState {
  const DeviceSpec* spec = nullptr;
  std::vector<PlannedRead> plan;
  std::vector<Bytes> requests; // the request PDU of each planned read, built once
  std::vector<PointState> points;
  enum class Link { unknown, online, offline } link = Link::unknown;
  std::uint32_t misses = 0;
  SteadyClock::time_point next_probe{};
};

class PortWorker {
public:
  PortWorker(PortSpec spec, Output& out, const EngineOptions& options, const ClientFactory& factory)
      : m_spec(std::move(spec)), m_out(out), m_options(options) {
    for (auto& d : m_spec.devices)
      fill_addresses(d);
    transport::ClientOptions co;
    co.interrupt_fd = stop_fd();
    m_client = factory ? factory(m_spec.target) : transport::make_client(m_spec.target, co);
    m_wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    for (const auto& d : m_spec.devices) {
      if (!d.enabled) continue;
      DeviceState st;
      st.spec = &d;
      st.plan = plan_device(d, m_spec.timing);
      for (const auto& read : st.plan)
        st.requests.push_back(
            read_request(read_function(read.table), read.addr, static_cast<std::uint16_t>(read.count)));
      for (const auto& p : d.points) {
        PointState ps{p.alarm ? std::optional<AlarmEngine>(AlarmEngine(*p.alarm)) : std::nullopt,
                      ReportFilter(p.report),
                      p.count(),
                      {}};
        st.points.push_back(std::move(ps));
      }
      m_devices.push_back(std::move(st));
    }
  }
  ~PortWorker() {
    if (m_wake_fd >= 0) ::close(m_wake_fd);
  }

  const PortSpec& spec() const { return m_spec; }
  const PortStats& stats() const { return m_stats; }
  ExitCode result() const { return m_result; }
  std::exception_ptr failure() const { return m_failure; }
  double wall_s() const { return m_wall_s; }

  bool owns(const std::string& device) const {
    return std::any_of(m_devices.begin(), m_devices.end(),
                       [&](const DeviceState& d) { return d.spec->name == device; });
  }

  void submit(WriteCommand cmd) {
    {
      std::lock_guard lock(m_queue_mutex);
      m_writes.push_back(std::move(cmd));
      m_has_writes.store(true, std::memory_order_release);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(m_wake_fd, &one, sizeof one);
  }

  void start() {
    m_thread = std::thread([this] {
      try {
        run();
      } catch (const OutputClosed&) {
        m_failure = std::current_exception();
        request_stop();
      } catch (...) {
        m_failure = std::current_exception();
        request_stop();
      }
    });
  }
  void join() {
    if (m_thread.joinable()) m_thread.join();
  }

private:
  void note(ExitCode c) { keep_worst(m_result, c); }

  void port_status(std::string_view state, std::string reason) {
    m_out.status(StatusRecord{now(), m_spec.name, std::nullopt, {}, state, std::move(reason)});
  }

  // Opens the connection when it is closed; false when it could not (yet).
  bool ensure_open() {
    if (m_client->is_open()) return true;
    try {
      m_client->open();
      m_backoff = milliseconds(100);
      if (m_was_disconnected) {
        port_status("connected", m_client->describe());
        // Devices that went offline with the connection are asked again at once.
        for (DeviceState& dev : m_devices)
          if (dev.link == DeviceState::Link::offline) dev.next_probe = SteadyClock::now();
      }
      m_was_disconnected = false;
      return true;
    } catch (const Error& e) {
      if (m_options.fail_on_connect) throw;
      if (!m_was_disconnected) port_status("disconnected", e.what());
      m_was_disconnected = true;
      m_connect_error = e.what();
      log::debug("{}: {}; retrying in {} ms", m_spec.name, e.what(), m_backoff.count() / 1000);
      wait_for(SteadyClock::now() + m_backoff);
      m_backoff = std::min<Micros>(m_backoff * 2, std::max<Micros>(m_spec.timing.reconnect, milliseconds(100)));
      return false;
    }
  }

  void lost_connection(const std::string& why) {
    m_client->close();
    port_status("disconnected", why);
    m_was_disconnected = true;
  }

  // A cycle without a connection (it could not be reopened): for every device a
  // request without answer, so the devices behind a dead gateway go offline (with
  // offline readings) after offline_after such cycles instead of keeping their last
  // values on the dashboards.
  void cycle_without_connection() {
    for (DeviceState& dev : m_devices) {
      if (dev.link == DeviceState::Link::offline) continue;
      dev.misses++;
      if (dev.misses >= m_spec.timing.offline_after)
        set_offline(dev, fmt::format("{} cycles without a connection ({})", dev.misses, m_connect_error));
    }
  }

  // Records are buffered (one write(2) for many lines when stdout is not a terminal)
  // but not held back long, so a pipeline sees them promptly: a cycle that ends in
  // a wait flushes (run()); within a long cycle, what is buffered goes out before a
  // request once k_flush_after has passed since the last flush, and before every
  // request that is likely to wait long (a retry, or a device that missed its last
  // answer), so a silent device does not hold back the lines of the healthy ones.
  static constexpr milliseconds k_flush_after{50};
  void flush_before_request(bool likely_slow) {
    const auto t = SteadyClock::now();
    m_request_start = t;
    if (!likely_slow && t - m_last_flush < k_flush_after) return;
    m_out.flush();
    m_last_flush = t;
  }

  // One request with its retries; counts everything. `likely_slow`: the device
  // missed its last answer.
  transport::Reply request(std::uint8_t unit, const Bytes& pdu, bool likely_slow = false) {
    transport::Reply reply;
    for (std::uint32_t attempt = 0; attempt <= m_spec.timing.retries; ++attempt) {
      if (stop_requested()) {
        reply.status = transport::ReplyStatus::stopped;
        return reply;
      }
      m_stats.requests++;
      flush_before_request(likely_slow || attempt > 0);
      reply = m_client->transact(unit, pdu, m_spec.timing.timeout);
      m_stats.busy += reply.latency;
      m_stats.late += reply.late;
      m_stats.mismatch += reply.mismatched;
      switch (reply.status) {
      case transport::ReplyStatus::ok:
        m_stats.answers++;
        m_stats.latency.add(reply.latency);
        if (!reply.pdu.empty() && (reply.pdu[0] & 0x80)) m_stats.exceptions++;
        return reply;
      case transport::ReplyStatus::timeout:
        m_stats.timeouts++;
        note(ExitCode::timeout);
        break;
      case transport::ReplyStatus::crc:
        m_stats.crc_errors++;
        note(ExitCode::protocol);
        break;
      case transport::ReplyStatus::io:
        m_stats.errors++;
        note(ExitCode::io);
        return reply;
      case transport::ReplyStatus::stopped: return reply;
      default:
        m_stats.errors++;
        note(ExitCode::protocol);
        break;
      }
      if (m_spec.timing.gap.count() > 0) wait_for(SteadyClock::now() + m_spec.timing.gap);
    }
    return reply;
  }

  // A reading record of point `idx` without value, raw words or error.
  ReadingRecord reading_of(DeviceState& dev, std::size_t idx, TimePoint ts, Quality q) {
    const PointSpec& p = dev.spec->points[idx];
    ReadingRecord r;
    r.ts = ts;
    r.port = m_spec.name;
    r.device = dev.spec->name;
    r.point = p.name;
    r.unit = dev.spec->unit;
    r.addr = p.addr;
    r.uom = p.uom;
    r.quality = q;
    r.cache = &dev.points[idx].cache;
    return r;
  }

  void emit_reading(Output::Batch& out, DeviceState& dev, std::size_t idx, ReadingRecord& r,
                    std::optional<double> numeric) {
    PointState& ps = dev.points[idx];
    const PointSpec& p = dev.spec->points[idx];
    const Micros t = m_read_time;
    if (ps.alarm && numeric && r.quality == Quality::ok) {
      if (auto ev = ps.alarm->update(*numeric, t)) {
        out.alarm(AlarmRecord{r.ts, m_spec.name, dev.spec->name, p.name, p.uom, dev.spec->unit, p.alarm->type, *ev});
      }
    }
    r.alarm = ps.alarm ? ps.alarm->level() : AlarmLevel::none;
    if (ps.filter.keeps_all()) {
      out.reading(r);
      return;
    }
    const std::string text = numeric ? std::string() : values::to_string(r.value);
    if (ps.filter.admit(t, r.quality == Quality::ok ? numeric : std::nullopt, text, static_cast<int>(r.quality),
                        static_cast<int>(r.alarm)))
      out.reading(r);
  }

  void emit_failed(DeviceState& dev, const PlannedRead& read, Quality q, std::string_view error) {
    const TimePoint ts = now();
    m_read_time = steady_us();
    Output::Batch out(m_out);
    for (std::size_t idx : read.items) {
      ReadingRecord r = reading_of(dev, idx, ts, q);
      r.error = error;
      emit_reading(out, dev, idx, r, std::nullopt);
    }
  }

  // `answered`: steady time of the answer's arrival.
  void emit_values(DeviceState& dev, const PlannedRead& read, std::span<const std::uint8_t> answer,
                   SteadyClock::time_point answered) {
    const TimePoint ts = now();
    m_read_time = duration_cast<Micros>(answered.time_since_epoch());
    const bool bits = read.table == PlanTable::coil || read.table == PlanTable::discrete_input;
    // The answer's items, as words (bits as 0/1), into a buffer that lives as long as the worker.
    m_items.resize(read.count);
    if (bits)
      answer_bits(answer, m_items);
    else
      answer_registers(answer, m_items);
    const std::span<const std::uint16_t> items(m_items);
    Output::Batch out(m_out);
    for (std::size_t idx : read.items) {
      const PointSpec& p = dev.spec->points[idx];
      const std::size_t off = p.ref.addr - read.addr;
      ReadingRecord r = reading_of(dev, idx, ts, Quality::ok);
      r.raw_bits = bits;
      std::optional<double> numeric;
      std::string error;
      try {
        if (bits) {
          r.raw = items.subspan(off, 1);
          r.value = items[off] != 0;
        } else {
          r.raw = items.subspan(off, dev.points[idx].count);
          r.value = values::decode(r.raw, p.format);
          if (!p.scaling.identity()) r.value = values::to_engineering(r.value, p.scaling);
          // A 32- or 16-bit float is written with the digits it has (1.1, not
          // 1.100000023841858), unless scaling made it a computed double.
          if ((p.format.type == values::ValueType::f32 || p.format.type == values::ValueType::f16) &&
              p.scaling.identity())
            if (const double* d = std::get_if<double>(&r.value); d != nullptr && std::isfinite(*d))
              r.value = values::float_to_decimal_double(static_cast<float>(*d));
        }
        numeric = values::to_double(r.value);
      } catch (const Error& e) {
        r.quality = Quality::error;
        r.value = std::monostate{};
        error = e.what();
        r.error = error;
      }
      emit_reading(out, dev, idx, r, numeric);
    }
  }

  void set_online(DeviceState& dev) {
    dev.misses = 0;
    if (dev.link != DeviceState::Link::online) {
      const bool again = dev.link == DeviceState::Link::offline;
      if (again) --m_offline;
      dev.link = DeviceState::Link::online;
      if (m_options.device_status)
        m_out.status(StatusRecord{now(), m_spec.name, dev.spec->unit, dev.spec->name, "online",
                                  again ? "answered again" : "answered"});
    }
  }

  // `reason`: for the status record.
  void set_offline(DeviceState& dev, std::string reason) {
    dev.link = DeviceState::Link::offline;
    ++m_offline;
    dev.next_probe = SteadyClock::now() + m_spec.timing.reconnect;
    m_out.status(StatusRecord{now(), m_spec.name, dev.spec->unit, dev.spec->name, "offline", std::move(reason)});
    const TimePoint ts = now();
    m_read_time = steady_us();
    Output::Batch out(m_out);
    for (std::size_t idx = 0; idx < dev.spec->points.size(); ++idx) {
      ReadingRecord r = reading_of(dev, idx, ts, Quality::offline);
      r.error = "device offline";
      emit_reading(out, dev, idx, r, std::nullopt);
    }
  }

  // Polls one device; with `probe`, stops at the first unanswered request. False
  // when the connection was lost.
  bool poll_device(DeviceState& dev, bool probe) {
    for (std::size_t i = 0; i < dev.plan.size(); ++i) {
      const PlannedRead& read = dev.plan[i];
      const Bytes& pdu = dev.requests[i];
      if (stop_requested()) return true;
      run_writes(); // queued writes go before the next read
      if (!m_client->is_open()) return false;
      transport::Reply reply = request(dev.spec->unit, pdu, dev.misses > 0);
      if (reply.status == transport::ReplyStatus::stopped) return true;
      if (reply.status == transport::ReplyStatus::io) {
        lost_connection(reply.error.empty() ? "connection lost" : reply.error);
        // A request without answer for this device: a gateway that drops every
        // connection at the first request takes its devices offline too.
        if (dev.link != DeviceState::Link::offline && ++dev.misses >= m_spec.timing.offline_after)
          set_offline(dev, fmt::format("{} requests without answer ({})", dev.misses, reply.error));
        return false;
      }
      if (reply.status == transport::ReplyStatus::ok) {
        const modbus::AnswerCheck chk = modbus::check_answer(pdu, reply.pdu);
        set_online(dev);
        if (chk.exception) {
          note(ExitCode::device_exception);
          emit_failed(dev, read, Quality::exception, exception_text(*chk.exception));
        } else if (!chk.ok) {
          note(ExitCode::protocol);
          emit_failed(dev, read, Quality::error, chk.error);
        } else {
          emit_values(dev, read, reply.pdu, m_request_start + reply.latency);
        }
      } else {
        dev.misses++;
        if (dev.link == DeviceState::Link::offline) {
          dev.next_probe = SteadyClock::now() + m_spec.timing.reconnect;
          return true;
        }
        if (dev.misses >= m_spec.timing.offline_after) {
          // its readings say offline rather than timeout
          set_offline(dev, fmt::format("{} requests without answer ({})", dev.misses, reply.error));
          return true;
        }
        emit_failed(dev, read, quality_of(reply.status), reply.error);
        if (probe) return true;
      }
      if (m_spec.timing.gap.count() > 0) wait_for(SteadyClock::now() + m_spec.timing.gap);
    }
    return true;
  }

  // Sleeps until `until`, a stop, or a queued write. True when woken by a write. The
  // wake-up is consumed here, so the queue itself is checked without a system call.
  bool wait_for(SteadyClock::time_point until) {
    for (;;) {
      const auto left = duration_cast<milliseconds>(until - SteadyClock::now()).count();
      if (left <= 0 || stop_requested()) return false;
      pollfd fds[2] = {{stop_fd(), POLLIN, 0}, {m_wake_fd, POLLIN, 0}};
      const int n = ::poll(fds, 2, static_cast<int>(left));
      if (n > 0 && (fds[1].revents & POLLIN)) {
        drain_wake();
        return true;
      }
      if (n > 0 && (fds[0].revents & POLLIN)) return false;
    }
  }

  void drain_wake() {
    std::uint64_t v;
    [[maybe_unused]] auto n = ::read(m_wake_fd, &v, sizeof v);
  }

  // The write queue's one consumer: sends what is queued, in order. Called before
  // every read request; without a write queued this costs one atomic load and no lock.
  // A write queued just after the check goes before the request after (or wakes the wait).
  void run_writes() {
    if (!m_has_writes.load(std::memory_order_acquire)) return;
    for (;;) {
      WriteCommand cmd;
      {
        std::lock_guard lock(m_queue_mutex);
        if (m_writes.empty()) {
          m_has_writes.store(false, std::memory_order_relaxed);
          return;
        }
        cmd = std::move(m_writes.front());
        m_writes.pop_front();
      }
      execute_write(cmd);
    }
  }

  void execute_write(const WriteCommand& cmd) {
    WriteRecord rec;
    rec.port = m_spec.name;
    rec.device = cmd.device;
    rec.point = cmd.point;
    rec.requested = {cmd.value};
    rec.cause = cmd.cause;
    const DeviceState* dev = nullptr;
    for (const auto& d : m_devices)
      if (d.spec->name == cmd.device) dev = &d;
    const PointSpec* point = nullptr;
    if (dev != nullptr)
      for (const auto& p : dev->spec->points)
        if (p.name == cmd.point) point = &p;
    auto fail = [&](std::string quality, std::string error) {
      rec.ts = now();
      rec.ok = false;
      rec.quality = std::move(quality);
      rec.error = std::move(error);
      m_out.write(rec);
    };
    if (dev == nullptr) return fail("error", "no such device");
    rec.unit = dev->spec->unit;
    if (point == nullptr) return fail("error", "no such point");
    rec.addr = values::to_string(point->ref);
    if (!point->writable) return fail("error", "point is not writable (writable = true in the site file)");
    Bytes pdu;
    try {
      pdu = encode_write(*point, cmd.value, rec.values);
    } catch (const Error& e) {
      return fail("error", e.what());
    }
    rec.fc = pdu[0];
    // While the connection is down a write fails at once rather than going out late.
    if (!m_client->is_open()) return fail("error", "not connected");
    if (rec.unit == 0) {
      // Modbus over Serial Line V1.02 §2.1: a broadcast is executed by every slave
      // and answered by none; waiting for an answer would only report a timeout.
      m_stats.requests++;
      try {
        m_client->send_only(0, pdu);
      } catch (const Error& e) {
        lost_connection(e.what());
        return fail("error", e.what());
      }
      rec.ts = now();
      rec.ok = true;
      rec.quality = "sent";
      m_out.write(rec);
      return;
    }
    transport::Reply reply = request(rec.unit, pdu);
    if (reply.status == transport::ReplyStatus::io) lost_connection(reply.error);
    rec.ts = now();
    if (reply.status != transport::ReplyStatus::ok)
      return fail(std::string(quality_name(quality_of(reply.status))), reply.error);
    const modbus::AnswerCheck chk = modbus::check_answer(pdu, reply.pdu);
    if (chk.exception) {
      rec.exception = chk.exception;
      return fail("exception", exception_text(*chk.exception));
    }
    if (!chk.ok) return fail("error", chk.error);
    rec.ok = true;
    rec.latency_ms = static_cast<double>(reply.latency.count()) / 1000.0;
    m_out.write(rec);
  }

public:
  // Builds the write request for a point and value (engineering units).
  static Bytes encode_write(const PointSpec& p, const values::Value& value, std::vector<std::uint16_t>& raw_out) {
    switch (p.ref.table) {
    case values::Table::coil: {
      auto d = values::to_double(value);
      if (!d) throw data_error("a coil takes true/false or 1/0");
      raw_out = {static_cast<std::uint16_t>(*d != 0)};
      return write_single_coil(p.ref.addr, *d != 0);
    }
    case values::Table::holding_register: {
      if (p.format.type == values::ValueType::bit) {
        auto d = values::to_double(value);
        if (!d) throw data_error("a bit takes true/false or 1/0");
        const auto mask = static_cast<std::uint16_t>(1u << (p.format.bit & 15u));
        raw_out = {static_cast<std::uint16_t>(*d != 0 ? mask : 0)};
        // Modbus Application Protocol V1.1b3 §6.16: the other bits stay as they are.
        return mask_write_register(p.ref.addr, static_cast<std::uint16_t>(~mask), *d != 0 ? mask : 0);
      }
      const values::Value raw = values::to_raw(value, p.scaling);
      raw_out = values::encode(raw, p.format);
      if (raw_out.size() == 1) return write_single_register(p.ref.addr, raw_out[0]);
      return write_multiple_registers(p.ref.addr, raw_out);
    }
    default: throw data_error(fmt::format("{} is read-only", values::to_string(p.ref)));
    }
  }

private:
  void run() {
    const auto start = SteadyClock::now();
    std::uint64_t cycles = 0;
    std::optional<SteadyClock::time_point> next_start; // the end of a cycle not followed by a wait
    while (!stop_requested()) {
      if (m_options.cycles && cycles >= *m_options.cycles) break;
      const auto cycle_start = next_start ? *next_start : SteadyClock::now();
      next_start.reset();
      if (!ensure_open()) {
        ++cycles; // a cycle without a connection still counts for --count
        cycle_without_connection();
        run_writes();  // answered "not connected" at once
        m_out.flush(); // the status records and offline readings go out now, not with the next reading
        continue;
      }
      run_writes();
      bool connected = true;
      for (DeviceState& dev : m_devices) {
        if (stop_requested() || !connected) break;
        if (dev.link == DeviceState::Link::offline) continue;
        connected = poll_device(dev, false);
      }
      // Offline devices whose reconnect time has come get one request each, after the
      // online devices, so a device that is back is seen within one reconnect interval.
      if (connected && !stop_requested() && m_offline > 0) {
        const auto t = SteadyClock::now();
        for (DeviceState& dev : m_devices) {
          if (stop_requested() || !connected) break;
          if (dev.link == DeviceState::Link::offline && dev.next_probe <= t) connected = poll_device(dev, true);
        }
      }
      ++cycles;
      // Records go out at the end of a cycle that is followed by a wait; back-to-back
      // cycles (interval 0) flush at most every k_flush_after so a fast loop is not
      // one write(2) per request.
      const auto end = SteadyClock::now();
      const bool will_wait = cycle_start + m_spec.timing.interval > end;
      if (will_wait || end - m_last_flush >= k_flush_after) {
        m_out.cycle_end();
        m_last_flush = end;
      }
      if (m_options.cycles && cycles >= *m_options.cycles) break;
      // Writes that arrive while waiting go out at once, before the next poll.
      if (will_wait)
        while (wait_for(cycle_start + m_spec.timing.interval)) {
          if (ensure_open()) run_writes();
        }
      else
        next_start = end;
    }
    m_wall_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
    m_client->close();
    m_out.flush();
  }

  PortSpec m_spec;
  Output& m_out;
  const EngineOptions& m_options;
  std::unique_ptr<transport::Client> m_client;
  std::vector<DeviceState> m_devices;
  std::size_t m_offline = 0; // devices marked offline (waiting for a re-probe)
  PortStats m_stats;
  ExitCode m_result = ExitCode::ok;
  std::exception_ptr m_failure;
  double m_wall_s = 0;
  Micros m_backoff = milliseconds(100);
  SteadyClock::time_point m_last_flush{};
  std::vector<std::uint16_t> m_items;        // the words (or bits) of the answer being emitted
  SteadyClock::time_point m_request_start{}; // when the last request was sent (about)
  Micros m_read_time{0}; // steady time of the readings being emitted (alarm delays, storage periods)
  bool m_was_disconnected = false;
  std::string m_connect_error; // why the connection could not be opened, last time
  int m_wake_fd = -1;
  std::mutex m_queue_mutex;
  std::deque<WriteCommand> m_writes;
  std::atomic<bool> m_has_writes{false}; // m_writes may be non-empty
  std::thread m_thread;
};

Engine::Engine(std::vector<PortSpec> ports, Output& out, EngineOptions options, ClientFactory factory)
    : m_out(out), m_options(options) {
  for (auto& p : ports)
    m_workers.push_back(std::make_unique<PortWorker>(std::move(p), out, m_options, factory));
}

Engine::~Engine() {
  for (auto& w : m_workers)
    w->join();
}

void Engine::run() {
  for (auto& w : m_workers)
    w->start();
  for (auto& w : m_workers)
    w->join();
  std::exception_ptr failure;
  for (auto& w : m_workers)
    if (w->failure() && !failure) failure = w->failure();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const OutputClosed&) {
      throw;
    } catch (...) {
      // A connect error in ad-hoc mode or a bug: report it after the stats.
      if (m_options.stats) {
        for (auto& w : m_workers)
          m_out.stats(StatsRecord{now(), w->spec().name, &w->stats(), w->wall_s()});
        m_out.flush();
      }
      throw;
    }
  }
  m_out.finish();
  if (m_options.stats)
    for (auto& w : m_workers)
      m_out.stats(StatsRecord{now(), w->spec().name, &w->stats(), w->wall_s()});
  m_out.flush();
}

void Engine::submit(WriteCommand command) {
  for (auto& w : m_workers) {
    if (w->owns(command.device)) {
      w->submit(std::move(command));
      return;
    }
  }
  WriteRecord rec;
  rec.ts = now();
  rec.device = command.device;
  rec.point = command.point;
  rec.requested = {command.value};
  rec.quality = "error";
  rec.error = "no such device";
  m_out.write(rec);
}

ExitCode Engine::result() const {
  ExitCode worst = ExitCode::ok;
  for (const auto& w : m_workers)
    keep_worst(worst, w->result());
  return worst;
}

std::optional<WriteCommand> parse_write_command(std::string_view line, std::string& error) {
  static thread_local RecordParser parser;
  try {
    auto obj = parser.parse_copy(line, 0);
    auto kind = get_string(obj, fields::kind);
    if (!kind || *kind != "write") {
      error = "not a write command (kind must be \"write\")";
      return std::nullopt;
    }
    auto device = get_string(obj, fields::device);
    auto point = get_string(obj, fields::point);
    if (!device || !point) {
      error = "a write needs \"device\" and \"point\"";
      return std::nullopt;
    }
    simdjson::dom::element v;
    if (obj[fields::value].get(v) != simdjson::SUCCESS) {
      error = "a write needs \"value\"";
      return std::nullopt;
    }
    WriteCommand cmd;
    cmd.device = std::string(*device);
    cmd.point = std::string(*point);
    switch (v.type()) {
    case simdjson::dom::element_type::BOOL: cmd.value = bool(v.get_bool()); break;
    case simdjson::dom::element_type::INT64: cmd.value = std::int64_t(v.get_int64()); break;
    case simdjson::dom::element_type::UINT64: cmd.value = std::uint64_t(v.get_uint64()); break;
    case simdjson::dom::element_type::DOUBLE: cmd.value = double(v.get_double()); break;
    case simdjson::dom::element_type::STRING: cmd.value = std::string(std::string_view(v.get_string())); break;
    default: error = "value must be a number, boolean or string"; return std::nullopt;
    }
    return cmd;
  } catch (const Error& e) {
    error = e.what();
    return std::nullopt;
  }
}

} // namespace iot::poll
