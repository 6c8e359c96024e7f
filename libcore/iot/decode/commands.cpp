#include "iot/decode/commands.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "iot/core/error.hpp"
#include "iot/core/hex.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/core/text.hpp"
#include "iot/decode/capture.hpp"
#include "iot/decode/frames.hpp"
#include "iot/decode/stream.hpp"
#include "iot/modbus/spec.hpp"
#include "iot/record/line_reader.hpp"

namespace iot::decode {

namespace {
constexpr std::size_t k_max_frame = modbus::k_max_ascii_adu_size + 8;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

} // namespace

FrameLine parse_frame_line(std::string_view line, std::uint8_t* out, std::size_t capacity) {
  FrameLine r;
  std::string_view s = trim(line);
  std::size_t consumed = static_cast<std::size_t>(s.data() - line.data());
  // A time stamp first: "2026-11-21T08:00:00.123Z ..." (cheap check before parsing).
  if (s.size() > 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ')) {
    std::size_t end = s.find_first_of(" \t", 11);
    if (end != std::string_view::npos) {
      if (auto ts = parse_ts(s.substr(0, end))) {
        r.ts = ts;
        s = trim(s.substr(end));
      }
    }
  }
  // A direction mark as serial loggers write it, from the master's side.
  std::size_t mark_end = s.find_first_of(" \t");
  std::string_view mark = s.substr(0, mark_end);
  if (!mark.empty() && mark.back() == ':' && mark.size() > 1 && s[0] != ':') mark.remove_suffix(1);
  if (iequals(mark, "tx") || mark == ">" || iequals(mark, "req")) {
    r.direction = modbus::Direction::request;
    s = trim(s.substr(mark_end == std::string_view::npos ? s.size() : mark_end));
  } else if (iequals(mark, "rx") || mark == "<" || iequals(mark, "rsp")) {
    r.direction = modbus::Direction::response;
    s = trim(s.substr(mark_end == std::string_view::npos ? s.size() : mark_end));
  }
  consumed = static_cast<std::size_t>(s.data() - line.data());
  if (s.empty()) {
    r.error = "no frame on the line";
    return r;
  }
  if (s[0] == ':') { // Modbus ASCII: the characters themselves are the frame ([SL] §2.5.2)
    if (s.size() > capacity) {
      r.error = "ASCII frame longer than " + std::to_string(modbus::k_max_ascii_adu_size) + " characters";
      return r;
    }
    std::memcpy(out, s.data(), s.size());
    r.size = s.size();
    return r;
  }
  HexResult h = parse_hex(s, out, std::min(capacity, modbus::k_max_tcp_adu_size));
  if (!h.error.empty()) {
    r.error = "column " + std::to_string(consumed + h.error_column) + ": " + h.error;
    return r;
  }
  r.size = h.size;
  return r;
}

ExitCode run_frame(const FrameCommand& cmd, LineSink& out) {
  FrameDecoder decoder({cmd.framing, cmd.pair});
  std::uint8_t buf[k_max_frame];
  std::size_t failed = 0;
  FrameContext ctx;

  auto handle = [&](std::string_view text, std::size_t number, bool from_args) {
    FrameLine fl = parse_frame_line(text, buf, sizeof buf);
    if (!fl.error.empty()) {
      ++failed;
      if (from_args)
        log::error("argument {}: {}", number, fl.error);
      else
        log::error("line {}: {}", number, fl.error);
      return;
    }
    ctx.ts = fl.ts ? *fl.ts : now();
    ctx.direction = fl.direction;
    decoder.decode({buf, fl.size}, ctx, out);
  };

  if (!cmd.frames.empty()) {
    // Arguments: "01 03 00 00" as separate words form one frame; a word with
    // spaces or several quoted frames are taken one frame per argument.
    bool one_frame = std::all_of(cmd.frames.begin(), cmd.frames.end(), [](const std::string& a) {
      return a.size() <= 4 && a.find(' ') == std::string::npos;
    });
    if (one_frame) {
      std::string joined;
      for (const auto& a : cmd.frames)
        joined.append(a).push_back(' ');
      handle(joined, 1, true);
    } else {
      for (std::size_t i = 0; i < cmd.frames.size(); ++i)
        handle(cmd.frames[i], i + 1, true);
    }
  } else {
    LineReader reader(cmd.input_fd);
    reader.set_before_read([&out] { out.flush(); });
    std::string_view line;
    while (!stop_requested() && reader.next(line)) {
      std::string_view t = trim(line);
      if (t.empty() || t[0] == '#') continue;
      handle(line, reader.line_number(), false);
    }
  }
  out.flush();
  return failed ? ExitCode::bad_input : ExitCode::ok;
}

ExitCode run_pcap(const PcapCommand& cmd, LineSink& out) {
  CaptureReader reader(cmd.path);
  const bool serial = reader.link_type() == 147;
  modbus::Framing framing = cmd.framing.value_or(serial ? modbus::Framing::rtu : modbus::Framing::tcp);
  if (serial && framing != modbus::Framing::rtu && framing != modbus::Framing::ascii)
    throw usage_error("a serial capture (link type 147) holds RTU or ASCII frames, not " +
                      std::string(modbus::framing_name(framing)));
  // Modbus TCP frames carry transaction ids and pair by them; RTU over TCP pairs by order.
  FrameDecoder decoder({framing, true});
  auto is_server_port = [&](std::uint16_t p) {
    return std::find(cmd.ports.begin(), cmd.ports.end(), p) != cmd.ports.end();
  };

  CapturedPayload pkt;
  FrameContext ctx;
  std::size_t skipped_bytes = 0;
  // TCP streams are cut into ADUs; each ADU inherits the time of the segment that completed it.
  StreamAssembler assembler(
      framing == modbus::Framing::rtu_over_tcp ? modbus::Framing::rtu_over_tcp : modbus::Framing::tcp,
      [&](const std::string&, std::span<const std::uint8_t> adu) { decoder.decode(adu, ctx, out); },
      [&](const std::string& flow, std::size_t count, std::string_view reason) {
        skipped_bytes += count;
        log::warn("packet {} ({}): skipped {} bytes: {}", pkt.packet_number, flow, count, reason);
      });

  while (!stop_requested() && reader.next(pkt)) {
    ctx.ts = pkt.ts;
    if (pkt.transport == PayloadTransport::serial) {
      ctx.channel.clear();
      ctx.direction = modbus::Direction::unknown;
      ctx.src.clear();
      ctx.dst.clear();
      decoder.decode(pkt.data, ctx, out);
      continue;
    }
    const bool to_server = is_server_port(pkt.dst.port);
    const bool from_server = is_server_port(pkt.src.port);
    if (!to_server && !from_server) continue;
    ctx.src = pkt.src.text();
    ctx.dst = pkt.dst.text();
    ctx.direction = to_server ? modbus::Direction::request : modbus::Direction::response;
    ctx.channel = to_server ? ctx.src + ">" + ctx.dst : ctx.dst + ">" + ctx.src; // one per connection
    if (pkt.transport == PayloadTransport::udp) {
      if (!pkt.data.empty()) decoder.decode(pkt.data, ctx, out);
      continue;
    }
    const std::string flow = ctx.src + ">" + ctx.dst;
    if (pkt.tcp_syn) assembler.reset(flow, pkt.tcp_seq + 1);
    if (!pkt.data.empty()) assembler.add(flow, pkt.tcp_seq, pkt.data, to_server);
    if (pkt.tcp_fin || pkt.tcp_rst) assembler.close(flow);
  }
  out.flush();
  if (reader.skipped() > 0) log::info("{} packets were not IP/TCP/UDP and were skipped", reader.skipped());
  return skipped_bytes ? ExitCode::bad_input : ExitCode::ok;
}

} // namespace iot::decode
