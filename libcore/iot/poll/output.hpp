#pragma once
// What iot-poll writes and how: JSON Lines records (docs/record-format.md), CSV
// rows, or a live terminal table. Workers of all ports share one Output; it
// serialises them so records are whole lines in one stream.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "iot/core/time.hpp"
#include "iot/poll/alarm.hpp"
#include "iot/poll/stats.hpp"
#include "iot/record/output.hpp"
#include "iot/record/reading_line.hpp"
#include "iot/record/record.hpp"
#include "iot/record/records.hpp"
#include "iot/values/value_type.hpp"

namespace iot::poll {

// The parts of a point's reading records that never change, rendered once (see
// record::ReadingLineWriter). One per point.
using PointCache = record::ReadingCache;

// A reading as the engine hands it over: views of the point's names and of the
// answer's words, valid for the call only.
struct ReadingRecord {
  TimePoint ts;
  std::string_view port, device, point;
  std::uint8_t unit = 0;
  std::string_view addr;
  values::Value value;
  std::span<const std::uint16_t> raw; // register words, or bits as 0/1 when raw_bits
  bool raw_bits = false;
  std::string_view uom;
  Quality quality = Quality::ok;
  std::string_view error;
  AlarmLevel alarm = AlarmLevel::none;
  PointCache* cache = nullptr; // optional; see PointCache
};

struct StatusRecord {
  TimePoint ts;
  std::string_view port;
  std::optional<std::uint8_t> unit; // absent for port-level states (connected, disconnected)
  std::string_view device;
  std::string_view state; // online, offline, connected, disconnected
  std::string reason;
};

struct AlarmRecord {
  TimePoint ts;
  std::string_view port, device, point, uom;
  std::uint8_t unit = 0;
  AlarmType type = AlarmType::hh;
  AlarmEvent event;
};

struct WriteRecord {
  TimePoint ts;
  std::string port, device, point, addr;
  std::uint8_t unit = 0;
  std::uint8_t fc = 0;
  // The value as requested, formatted by the record writer (never the user's text):
  // one value, or with requested_list several written in a row (a JSON array).
  std::vector<values::Value> requested;
  bool requested_list = false;
  std::vector<std::uint16_t> values; // words or bits written
  bool ok = false;
  std::string quality = "ok"; // as for readings, or "sent" for a broadcast (unit 0: no answer comes)
  std::string error;
  std::optional<std::uint8_t> exception;
  double latency_ms = 0;
  std::string cause; // why the write was made ("link:NAME"); empty for stdin commands
};

struct StatsRecord {
  TimePoint ts;
  std::string_view port;
  const PortStats* stats = nullptr;
  double wall_s = 0;
};

// The end of an `iot-poll scan`: what answered at each line setting tried, and how long it
// took (a `scan` record, docs/record-format.md). Written even when nothing answered.
using ScanSummary = record::Scan;
std::string scan_summary_json(TimePoint ts, const ScanSummary& s);

enum class OutputFormat { jsonl, csv, table };
std::optional<OutputFormat> parse_output_format(std::string_view text);

class Renderer {
public:
  virtual ~Renderer() = default;
  virtual void reading(const ReadingRecord& r) = 0;
  virtual void status(const StatusRecord& r) = 0;
  virtual void alarm(const AlarmRecord& r) = 0;
  virtual void write(const WriteRecord& r) = 0;
  virtual void stats(const StatsRecord& r) = 0;
  virtual void cycle_end() {}
  // A record made elsewhere (a trace frame), as one JSON line; only JSON Lines output has them.
  virtual void line(std::string_view json) { (void)json; }
  // The run is over: a table draws its last state.
  virtual void finish() {}
  virtual void flush() = 0;
};

// `sink` receives the lines; `color` only matters for the table.
std::unique_ptr<Renderer> make_renderer(OutputFormat format, LineSink& sink, bool color);

// An alarm record as one JSON line (for --on-alarm).
std::string alarm_json(const AlarmRecord& r);

// Thread-safe front of a renderer plus an optional alarm listener.
class Output {
public:
  explicit Output(std::unique_ptr<Renderer> renderer) : m_renderer(std::move(renderer)) {}
  void set_alarm_listener(std::function<void(const std::string& line)> fn) { m_alarm_listener = std::move(fn); }
  // Called with every alarm record, under the output lock (alarm relay linkage): it must
  // not write to this Output.
  void set_alarm_hook(std::function<void(const AlarmRecord&)> fn) { m_alarm_hook = std::move(fn); }

  void reading(const ReadingRecord& r) {
    std::lock_guard lock(m_mutex);
    m_renderer->reading(r);
  }
  void status(const StatusRecord& r) {
    std::lock_guard lock(m_mutex);
    m_renderer->status(r);
  }
  void alarm(const AlarmRecord& r) {
    std::lock_guard lock(m_mutex);
    alarm_locked(r);
  }
  void write(const WriteRecord& r) {
    std::lock_guard lock(m_mutex);
    m_renderer->write(r);
    m_renderer->flush();
  }
  void stats(const StatsRecord& r) {
    std::lock_guard lock(m_mutex);
    m_renderer->stats(r);
  }
  void line(std::string_view json) {
    std::lock_guard lock(m_mutex);
    m_renderer->line(json);
  }
  void cycle_end() {
    std::lock_guard lock(m_mutex);
    m_renderer->cycle_end();
    m_renderer->flush();
  }
  void flush() {
    std::lock_guard lock(m_mutex);
    m_renderer->flush();
  }
  void finish() {
    std::lock_guard lock(m_mutex);
    m_renderer->finish();
    m_renderer->flush();
  }

  // Holds the output for a run of records (the readings of one answer and the
  // alarms they raise) so they take the lock once and stay together.
  class Batch {
  public:
    explicit Batch(Output& out) : m_out(out), m_lock(out.m_mutex) {}
    void reading(const ReadingRecord& r) { m_out.m_renderer->reading(r); }
    void alarm(const AlarmRecord& r) { m_out.alarm_locked(r); }

  private:
    Output& m_out;
    std::lock_guard<std::mutex> m_lock;
  };

private:
  void alarm_locked(const AlarmRecord& r);

  std::mutex m_mutex;
  std::unique_ptr<Renderer> m_renderer;
  std::function<void(const std::string&)> m_alarm_listener;
  std::function<void(const AlarmRecord&)> m_alarm_hook;
};

} // namespace iot::poll
