#include <poll.h>
#include <time.h>

#include <cerrno>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/decode/commands.hpp"
#include "iot/decode/frames.hpp"
#include "iot/modbus/spec.hpp"
#include "iot/modbus/stream_splitter.hpp"
#include "iot/record/records.hpp"
#include "iot/transport/serial.hpp"

namespace iot::decode {

namespace {
std::int64_t monotonic_us() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1000000 + t.tv_nsec / 1000;
}
} // namespace

ExitCode run_sniff(const SniffCommand& cmd, LineSink& out) {
  auto line = transport::SerialLine::open(cmd.port, cmd.settings, transport::SerialLine::Access::read_only);
  log::info("listening on {} at {} baud (read-only)", cmd.port, cmd.settings.baud);
  FrameDecoder decoder({cmd.framing, true});
  FrameContext ctx;
  std::uint64_t frames = 0;
  // Splitter times are monotonic; records carry wall-clock time.
  const std::int64_t wall_minus_mono = now().time_since_epoch().count() - monotonic_us();
  auto emit = [&](std::span<const std::uint8_t> bytes, std::int64_t start_us, modbus::Direction dir,
                  std::string_view problem) {
    ctx.ts = from_epoch_us(start_us + wall_minus_mono);
    ctx.direction = dir;
    ctx.problem = problem;
    decoder.decode(bytes, ctx, out);
    out.flush(); // live: every frame as it passes
    ++frames;
  };

  // A listener sees both directions. On RTU the timing of the bytes helps to cut frames.
  modbus::RtuSplitterOptions timing;
  timing.baud = cmd.settings.baud;
  timing.bits_per_char = transport::bits_per_char(cmd.settings);
  timing.silence_us = cmd.silence_us.value_or(0);
  timing.latency_us = cmd.latency_us;
  const auto options = modbus::sniffer_splitter_options(cmd.framing, timing);
  modbus::StreamSplitter splitter(options);
  auto drain = [&](std::int64_t read_us) {
    while (auto f = splitter.next()) {
      if (cmd.framing == modbus::Framing::rtu) {
        emit(f->bytes, f->start_us, f->direction, f->reason);
        continue;
      }
      // ASCII: bytes outside a frame are not shown; a whole frame carries its own LRC verdict.
      switch (f->kind) {
      case modbus::StreamFrame::Kind::garbage: break;
      case modbus::StreamFrame::Kind::frame:
      case modbus::StreamFrame::Kind::bad_check:
      case modbus::StreamFrame::Kind::malformed: emit(f->bytes, read_us, f->direction, {}); break;
      default: emit(f->bytes, read_us, f->direction, f->reason); break;
      }
    }
  };

  std::uint8_t buf[4096];
  pollfd fds[2] = {{line.fd(), POLLIN, 0}, {stop_fd(), POLLIN, 0}};
  const int idle_ms = std::max(1, static_cast<int>(splitter.line_silence_us() / 1000));
  while (!stop_requested() && (cmd.count == 0 || frames < cmd.count)) {
    int n = ::poll(fds, stop_fd() >= 0 ? 2 : 1, idle_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw errno_error("poll " + cmd.port);
    }
    if (n == 0) {
      if (cmd.framing == modbus::Framing::rtu) {
        splitter.idle(monotonic_us());
        drain(0);
      }
      continue;
    }
    if (fds[0].revents & (POLLERR | POLLNVAL)) throw io_error(cmd.port + ": the port went away");
    if (!(fds[0].revents & (POLLIN | POLLHUP))) continue;
    std::size_t got = line.read_some(buf);
    if (got == 0) {
      if (fds[0].revents & POLLHUP) {
        // A pty whose writer closed: wait for a new writer rather than spin.
        ::poll(nullptr, 0, idle_ms);
      }
      continue;
    }
    const std::int64_t t = monotonic_us();
    splitter.feed({buf, got}, t);
    drain(t);
  }
  if (cmd.framing == modbus::Framing::rtu) {
    splitter.flush();
    drain(0);
  }
  out.flush();
  log::info("{} frames, {} with a bad CRC", decoder.frames(), decoder.bad_checks());
  return ExitCode::ok;
}

ExitCode list_ports(LineSink& out) {
  for (const transport::PortInfo& p : transport::list_ports()) {
    record::Port rec;
    rec.ts = now();
    rec.name = p.name;
    rec.description = p.description;
    rec.transport = p.transport;
    char id[10] = {};
    if (p.usb_vid && p.usb_pid) {
      std::snprintf(id, sizeof id, "%04x:%04x", *p.usb_vid, *p.usb_pid);
      rec.usb = id;
    }
    rec.manufacturer = p.usb_manufacturer;
    rec.product = p.usb_product;
    rec.serial = p.usb_serial;
    RecordLine r(out);
    record::write(r.w, rec);
  }
  out.flush();
  return ExitCode::ok;
}

} // namespace iot::decode
