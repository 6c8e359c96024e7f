#include "iot/poll/commands.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "iot/cli/cli.hpp"
#include "iot/cli/options.hpp"
#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/modbus/answer.hpp"
#include "iot/poll/engine.hpp"
#include "iot/poll/forwarder.hpp"
#include "iot/poll/info.hpp"
#include "iot/poll/linkage.hpp"
#include "iot/poll/pdu.hpp"
#include "iot/poll/site_spec.hpp"
#include "iot/poll/trace.hpp"
#include "iot/record/line_reader.hpp"
#include "iot/transport/client.hpp"
#include "iot/values/address.hpp"

namespace iot::poll {

using cli::duration_option;

namespace {

// A scan whose worst case (every probe timing out) takes this long gets a warning first.
constexpr double k_scan_long_s = 10;

bool trace_to_stdout(const OutputOptions& o) { return o.trace && (o.trace->empty() || *o.trace == "-"); }

OutputFormat choose_format(const OutputOptions& o) {
  // Trace records among the others are JSON Lines: --trace alone chooses them.
  if (o.format == "auto") return ::isatty(1) == 1 && !trace_to_stdout(o) ? OutputFormat::table : OutputFormat::jsonl;
  auto f = parse_output_format(o.format);
  if (!f) throw usage_error("--format: jsonl, csv or table");
  if (*f != OutputFormat::jsonl && trace_to_stdout(o))
    throw usage_error(
        fmt::format("--trace writes JSON Lines records: with --format {} give it a file (--trace FILE)", o.format));
  return *f;
}

// The wire trace of a run (--trace, -v): where frame records go, and whether hex lines do.
// Clients are wrapped in a TracingClient only when there is something to trace.
class Trace {
public:
  // `to_stdout`: how records reach stdout (through the run's Output or sink).
  Trace(const OutputOptions& o, TraceWriter to_stdout) {
    m_options.hex = log::enabled(log::Level::info); // -v
    if (trace_to_stdout(o)) {
      m_options.records = std::move(to_stdout);
    } else if (o.trace) {
      m_file = std::fopen(o.trace->c_str(), "w");
      if (m_file == nullptr)
        throw io_error(fmt::format("--trace: cannot write {}: {}", *o.trace, std::strerror(errno)));
      m_options.records = [this](std::string_view line) {
        std::lock_guard lock(m_mutex);
        std::fwrite(line.data(), 1, line.size(), m_file);
        std::fputc('\n', m_file);
        std::fflush(m_file); // whole lines at once, even when the run is killed
      };
    }
  }
  ~Trace() {
    if (m_file != nullptr) std::fclose(m_file);
  }
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  bool active() const { return m_options.hex || static_cast<bool>(m_options.records); }

  std::unique_ptr<transport::Client> client(const transport::Target& t, const std::string& port) const {
    transport::ClientOptions co;
    co.interrupt_fd = stop_fd();
    if (!active()) return transport::make_client(t, co);
    return std::make_unique<TracingClient>(t, port, m_options, [&t, co](transport::WireTap* tap) mutable {
      co.tap = tap;
      return transport::make_client(t, co);
    });
  }
  // For the Engine: every port's client traced; empty (the engine's own) without a trace.
  ClientFactory factory() const {
    if (!active()) return {};
    return [this](const transport::Target& t) { return client(t, transport::to_string(t)); };
  }

private:
  TraceOptions m_options;
  std::FILE* m_file = nullptr;
  std::mutex m_mutex;
};

// Stops the run after `d` unless it ended before.
class StopTimer {
public:
  explicit StopTimer(std::optional<std::chrono::microseconds> d) {
    if (!d) return;
    m_thread = std::thread([this, d] {
      std::unique_lock lock(m_mutex);
      if (!m_cv.wait_for(lock, *d, [&] { return m_done; })) request_stop();
    });
  }
  ~StopTimer() {
    {
      std::lock_guard lock(m_mutex);
      m_done = true;
    }
    m_cv.notify_one();
    if (m_thread.joinable()) m_thread.join();
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_done = false;
  std::thread m_thread;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

values::Format format_from(const std::string& type, const std::string& order) {
  values::Format f;
  f.type = values::value_type_from(type);
  f.order = values::word_order_from(order);
  return f;
}

std::uint8_t single_unit(const std::string& text) {
  auto units = values::parse_unit_list(text, true);
  if (units.size() != 1) throw usage_error("-u: one unit id for a write");
  return units[0];
}

} // namespace

ExitCode run_read(const ReadOptions& o) {
  PortSpec port{.name = o.target, .target = transport::parse_target(o.target), .timing = {}, .devices = {}};
  port.timing.timeout = duration_option(o.timeout, "--timeout");
  port.timing.retries = o.retries;
  port.timing.max_read = o.max_read;
  port.timing.hole = o.hole;
  port.timing.offline_after = 1u << 30; // ad hoc: report every failure, never skip
  if (o.interval) port.timing.interval = duration_option(*o.interval, "--interval");
  values::Format format = format_from(o.type, o.order);
  format.length = o.length;
  if (format.type == values::ValueType::string && format.length == 0)
    throw usage_error("--type string needs --length BYTES");
  values::Scaling scaling;
  scaling.scale = o.scale;
  scaling.offset = o.offset;
  scaling.zero = o.zero;
  scaling.decimals = o.decimals;
  std::vector<PointSpec> points;
  for (const auto& text : o.refs) {
    const values::Range range = values::parse_range(text);
    const bool regs = values::is_register_table(range.table);
    const std::uint16_t step = regs ? values::register_count(format) : 1;
    for (std::uint32_t i = 0; i < range.count; ++i) {
      const std::uint32_t addr = range.addr + i * step;
      if (addr + step > 65536) throw usage_error(fmt::format("{}: runs past address 65535", text));
      PointSpec p;
      p.ref = {range.table, static_cast<std::uint16_t>(addr)};
      p.name = values::to_string(p.ref);
      if (regs) {
        p.format = format;
        p.scaling = scaling;
      } else {
        p.format.type = values::ValueType::bit;
      }
      p.uom = o.uom;
      points.push_back(std::move(p));
    }
  }
  for (std::uint8_t unit : values::parse_unit_list(o.units, true)) {
    DeviceSpec d;
    d.name = fmt::format("unit{}", unit);
    d.unit = unit;
    d.points = points;
    port.devices.push_back(std::move(d));
  }
  EngineOptions eo;
  eo.fail_on_connect = true;
  eo.device_status = false;
  eo.stats = !o.no_stats;
  const bool repeat = o.interval || o.count || o.duration;
  if (o.once || !repeat)
    eo.cycles = 1;
  else if (o.count)
    eo.cycles = *o.count;
  const OutputFormat fmt = choose_format(o.out);
  LineSink sink(1, fmt != OutputFormat::jsonl || ::isatty(1) == 1);
  Output out(make_renderer(fmt, sink, cli::use_color(o.out.color, 1)));
  std::vector<PortSpec> ports;
  ports.push_back(std::move(port));
  Trace trace(o.out, [&out](std::string_view l) { out.line(l); });
  Engine engine(std::move(ports), out, eo, trace.factory());
  {
    StopTimer timer(o.duration ? std::optional(duration_option(*o.duration, "--duration")) : std::nullopt);
    engine.run();
  }
  return engine.result();
}

ExitCode run_write(const WriteOptions& o) {
  const transport::Target target = transport::parse_target(o.target);
  const std::uint8_t unit = single_unit(o.unit);
  const auto timeout = duration_option(o.timeout, "--timeout");
  const values::Format format = format_from(o.type, o.order);
  const OutputFormat fmt = choose_format(o.out);
  LineSink sink(1, true);
  Output out(make_renderer(fmt, sink, cli::use_color(o.out.color, 1)));
  Trace trace(o.out, [&out](std::string_view l) { out.line(l); });
  auto client = trace.client(target, o.target);
  client->open();
  ExitCode result = ExitCode::ok;
  for (const auto& a : o.assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos)
      throw usage_error(fmt::format("'{}': expected ADDRESS=VALUE[,VALUE...], e.g. hr:10=123", a));
    const values::Ref ref = values::parse_ref(a.substr(0, eq));
    const std::vector<std::string> texts = split(a.substr(eq + 1), ',');
    WriteRecord rec;
    rec.port = o.target;
    rec.unit = unit;
    rec.device = fmt::format("unit{}", unit);
    rec.point = values::to_string(ref);
    rec.addr = rec.point;
    Bytes pdu;
    if (ref.table == values::Table::coil) {
      std::vector<bool> bits;
      for (const auto& t : texts) {
        if (t == "1" || t == "true" || t == "on")
          bits.push_back(true);
        else if (t == "0" || t == "false" || t == "off")
          bits.push_back(false);
        else
          throw usage_error(fmt::format("'{}': a coil takes 1/0, true/false or on/off", t));
      }
      for (bool b : bits) {
        rec.values.push_back(b);
        rec.requested.emplace_back(b);
      }
      pdu = bits.size() == 1 && !o.multi ? write_single_coil(ref.addr, bits[0]) : write_multiple_coils(ref.addr, bits);
    } else if (ref.table == values::Table::holding_register) {
      std::vector<std::uint16_t> words;
      for (const auto& t : texts) {
        values::Value v;
        if (format.type == values::ValueType::string) {
          v = t;
        } else {
          char* end = nullptr;
          const double d = std::strtod(t.c_str(), &end);
          if (t.empty() || end == nullptr || *end != '\0') throw usage_error(fmt::format("'{}' is not a number", t));
          v = d;
        }
        rec.requested.push_back(v); // the record shows the number read (0x10 as 16), not the text
        values::Format f = format;
        if (f.type == values::ValueType::string) f.length = static_cast<std::uint16_t>(t.size()); // all of it
        auto w = values::encode(v, f);
        words.insert(words.end(), w.begin(), w.end());
      }
      rec.values = words;
      if (words.size() > 123) throw usage_error("at most 123 registers per write (FC16)");
      pdu = words.size() == 1 && !o.multi ? write_single_register(ref.addr, words[0])
                                          : write_multiple_registers(ref.addr, words);
    } else {
      throw usage_error(fmt::format("{}: only coils and holding registers can be written", values::to_string(ref)));
    }
    rec.fc = pdu[0];
    rec.requested_list = rec.requested.size() != 1;
    if (unit == 0) {
      // Modbus over Serial Line V1.02 §2.1: a broadcast is answered by no one.
      client->send_only(unit, pdu);
      rec.ts = now();
      rec.ok = true;
      rec.quality = "sent";
      out.write(rec);
      if (stop_requested()) break;
      continue;
    }
    transport::Reply reply;
    for (std::uint32_t attempt = 0; attempt <= o.retries; ++attempt) {
      reply = client->transact(unit, pdu, timeout);
      if (reply.status == transport::ReplyStatus::ok || reply.status == transport::ReplyStatus::io ||
          reply.status == transport::ReplyStatus::stopped)
        break;
    }
    rec.ts = now();
    if (reply.status == transport::ReplyStatus::ok) {
      const modbus::AnswerCheck chk = modbus::check_answer(pdu, reply.pdu);
      if (chk.exception) {
        rec.quality = "exception";
        rec.exception = chk.exception;
        rec.error = exception_text(*chk.exception);
        result = ExitCode::device_exception;
      } else if (!chk.ok) {
        rec.quality = "error";
        rec.error = chk.error;
        result = ExitCode::protocol;
      } else {
        rec.ok = true;
        rec.latency_ms = static_cast<double>(reply.latency.count()) / 1000.0;
      }
    } else {
      rec.quality = reply.status == transport::ReplyStatus::timeout ? "timeout"
                    : reply.status == transport::ReplyStatus::crc   ? "crc"
                                                                    : "error";
      rec.error = reply.error;
      result = reply.status == transport::ReplyStatus::timeout ? ExitCode::timeout
               : reply.status == transport::ReplyStatus::io    ? ExitCode::io
                                                               : ExitCode::protocol;
    }
    out.write(rec);
    if (stop_requested()) break;
  }
  out.flush();
  return result;
}

ExitCode run_scan(const ScanOptions& o) {
  transport::Target base = transport::parse_target(o.target);
  const auto timeout = duration_option(o.timeout, "--timeout");
  const auto units = values::parse_unit_list(o.units, true);
  const values::Ref ref = values::parse_ref(o.addr);
  std::vector<std::uint32_t> bauds;
  std::vector<transport::Parity> parities;
  if (!o.bauds.empty())
    for (const auto& b : split(o.bauds, ','))
      bauds.push_back(static_cast<std::uint32_t>(std::stoul(b)));
  if (!o.parities.empty())
    for (const auto& p : split(o.parities, ','))
      parities.push_back(transport::parse_parity(p));
  if ((!bauds.empty() || !parities.empty()) && !base.is_serial())
    throw usage_error("--baud and --parity are for serial targets");
  if (bauds.empty()) bauds.push_back(base.serial.baud);
  if (parities.empty()) parities.push_back(base.serial.parity);
  const OutputFormat fmt = choose_format(o.out);
  LineSink sink(1, true);
  Output out(make_renderer(fmt, sink, cli::use_color(o.out.color, 1)));
  const bool progress = ::isatty(2) == 1;
  const std::size_t total = units.size() * bauds.size() * parities.size();
  std::size_t done = 0, found = 0;
  const std::uint8_t fc = ref.table == values::Table::coil             ? 0x01
                          : ref.table == values::Table::discrete_input ? 0x02
                          : ref.table == values::Table::input_register ? 0x04
                                                                       : 0x03;
  const Bytes pdu = read_request(fc, ref.addr, 1);
  // A silent unit costs the whole timeout: that is the worst case, and the usual one for
  // most of a 1-247 scan. Say so before a long wait, with what shortens it.
  {
    transport::ClientOptions co;
    const auto wire = transport::make_client(base, co)->wire_time(pdu.size(), 5);
    const double worst_s = static_cast<double>(total) * std::chrono::duration<double>(timeout + wire).count();
    if (worst_s >= k_scan_long_s)
      log::warn("scanning {} unit id{} at {} line setting{} may take up to {:.0f} s ({} per silent unit){}",
                units.size(), units.size() == 1 ? "" : "s", bauds.size() * parities.size(),
                bauds.size() * parities.size() == 1 ? "" : "s", worst_s, o.timeout,
                o.first ? "" : "; --first stops at the first setting where a unit answers");
  }
  Trace trace(o.out, [&out](std::string_view l) { out.line(l); });
  ScanSummary summary;
  const auto started = std::chrono::steady_clock::now();
  for (auto baud : bauds) {
    for (auto parity : parities) {
      if (stop_requested() || (o.first && found > 0)) break;
      transport::Target t = base;
      t.serial.baud = baud;
      t.serial.parity = parity;
      const std::string settings = t.is_serial() ? transport::describe(t.serial) : transport::to_string(t);
      ScanSummary::Setting& row = summary.settings.emplace_back();
      row.settings = settings;
      auto client = trace.client(t, settings);
      client->open();
      for (auto unit : units) {
        if (stop_requested()) break;
        if (progress) {
          const int width = 30;
          const int filled = static_cast<int>(width * done / std::max<std::size_t>(total, 1));
          std::fprintf(stderr, "\r%s unit %3u [%s%s] %zu/%zu, %zu found ", settings.c_str(), unit,
                       std::string(static_cast<std::size_t>(filled), '#').c_str(),
                       std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), done, total, found);
          std::fflush(stderr);
        }
        ++done;
        ++row.probes;
        if (!client->is_open()) client->open();
        transport::Reply reply = client->transact(unit, pdu, timeout);
        if (reply.status == transport::ReplyStatus::ok) {
          ++found;
          row.units.push_back(unit);
          const modbus::AnswerCheck chk = modbus::check_answer(pdu, reply.pdu);
          std::string reason = fmt::format("answered {} at {}", values::to_string(ref), settings);
          if (chk.exception) reason += fmt::format(" with exception {}", exception_text(*chk.exception));
          out.status(StatusRecord{now(), transport::to_string(t), unit, fmt::format("unit{}", unit), "online", reason});
          out.flush();
        }
      }
    }
  }
  if (progress) std::fprintf(stderr, "\r%*s\r", 72, "");
  summary.target = transport::to_string(base);
  summary.probes = done;
  summary.found = found;
  summary.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  summary.stopped = stop_requested() ? "signal" : (o.first && found > 0 && done < total) ? "first" : "";
  log::info("{} of {} probes answered", found, done);
  if (fmt == OutputFormat::jsonl) sink.write_line(scan_summary_json(now(), summary));
  out.flush();
  sink.flush();
  // Nothing answered at all: a device did not answer (docs/exit-codes.md).
  return found == 0 && !stop_requested() ? ExitCode::timeout : ExitCode::ok;
}

namespace {
// Reads stdin commands until EOF or a stop. End of stdin ends the commands, not the
// polling (systemd, cron and CI give /dev/null), unless `exit_on_eof` asks for it.
void stdin_loop(Engine& engine, Output& out, bool allow_write, bool exit_on_eof) {
  LineReader reader([](char* buf, std::size_t size) -> std::size_t {
    for (;;) {
      pollfd fds[2] = {{0, POLLIN, 0}, {stop_fd(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return 0;
      }
      if (fds[1].revents & POLLIN) return 0;
      const ssize_t n = ::read(0, buf, size);
      if (n < 0 && errno == EINTR) continue;
      return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
  });
  std::string_view line;
  while (reader.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::string error;
    auto cmd = parse_write_command(line, error);
    if (cmd && !allow_write) error = "writes need --allow-write";
    if (!cmd || !allow_write) {
      WriteRecord rec;
      rec.ts = now();
      rec.quality = "error";
      rec.error = fmt::format("stdin line {}: {}", reader.line_number(), error);
      if (cmd) {
        rec.device = cmd->device;
        rec.point = cmd->point;
        rec.requested = {cmd->value};
      }
      out.write(rec);
      continue;
    }
    engine.submit(std::move(*cmd));
  }
  if (stop_requested()) return;
  if (exit_on_eof) {
    log::debug("end of stdin: stopping (--exit-on-eof)");
    request_stop();
  } else {
    log::debug("end of stdin: no more commands; polling goes on");
  }
}
} // namespace

ExitCode run_site(const SiteOptions& o) {
  const config::Site site = config::load_site(o.site);
  std::vector<PortSpec> ports = ports_from_site(site);
  if (ports.empty()) throw config_error(o.site + ": no ports to poll");
  EngineOptions eo;
  eo.allow_write = o.allow_write;
  eo.cycles = o.count;
  eo.stats = !o.no_stats;
  const OutputFormat fmt = choose_format(o.out);
  LineSink sink(1, fmt != OutputFormat::jsonl || ::isatty(1) == 1);
  Output out(make_renderer(fmt, sink, cli::use_color(o.out.color, 1)));
  std::unique_ptr<AlarmForwarder> forwarder;
  if (o.on_alarm) {
    forwarder = std::make_unique<AlarmForwarder>(*o.on_alarm, duration_option(o.alarm_window, "--alarm-window"),
                                                 duration_option(o.alarm_timeout, "--alarm-timeout"));
    out.set_alarm_listener([f = forwarder.get()](const std::string& line) { f->add(line); });
  }
  Trace trace(o.out, [&out](std::string_view l) { out.line(l); });
  Engine engine(std::move(ports), out, eo, trace.factory());
  // Alarm relay linkage: alarm records become writes queued like stdin commands.
  std::unique_ptr<Linkage> linkage;
  if (!site.links.empty()) {
    if (!o.allow_write)
      log::warn("{}: {} [[link]] entr{} will not switch relays: linked writes need --allow-write", o.site,
                site.links.size(), site.links.size() == 1 ? "y" : "ies");
    linkage = std::make_unique<Linkage>(site.links, o.allow_write,
                                        [&engine](WriteCommand cmd) { engine.submit(std::move(cmd)); });
    out.set_alarm_hook([l = linkage.get()](const AlarmRecord& r) { l->on_alarm(r.device, r.point, r.event.level); });
  }
  std::thread input([&] { stdin_loop(engine, out, o.allow_write, o.exit_on_eof); });
  try {
    StopTimer timer(o.duration ? std::optional(duration_option(*o.duration, "--duration")) : std::nullopt);
    engine.run();
  } catch (...) {
    request_stop();
    input.join();
    if (forwarder) forwarder->close();
    throw;
  }
  request_stop(); // --count reached: the stdin reader ends too
  input.join();
  if (forwarder) forwarder->close();
  return ExitCode::ok;
}

ExitCode run_info(const InfoOptions& o) {
  const transport::Target target = transport::parse_target(o.target);
  const auto timeout = duration_option(o.timeout, "--timeout");
  const auto units = values::parse_unit_list(o.units, true);
  if (o.out.format != "auto" && o.out.format != "jsonl")
    throw usage_error("info writes device_info records: --format jsonl only");
  LineSink sink(1, true);
  Trace trace(o.out, [&sink](std::string_view l) { sink.write_line(l); });
  auto client = trace.client(target, o.target);
  client->open();
  ExitCode result = ExitCode::ok;
  bool any = false;
  for (std::uint8_t unit : units) {
    if (stop_requested()) break;
    const DeviceInfo info = read_device_info(*client, unit, timeout, o.retries);
    if (!client->is_open()) client->open(); // a peer that hung up on an unknown function
    sink.write_line(device_info_json(now(), o.target, info));
    sink.flush();
    if (info.result == ExitCode::ok)
      any = true;
    else if (result == ExitCode::ok)
      result = info.result;
  }
  // Several units: success when any of them said something.
  return any ? ExitCode::ok : result;
}

ExitCode run_plan(const std::string& path) {
  const config::Site site = config::load_site(path);
  LineSink sink(1, false);
  for (const auto& line : describe_plan(ports_from_site(site)))
    sink.write_line(line);
  sink.flush();
  return ExitCode::ok;
}

} // namespace iot::poll
