#include "iot/modbus/stream_splitter.hpp"

#include <algorithm>

#include "iot/modbus/crc.hpp"

namespace iot::modbus {

namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// [TCP] §3.1.3: protocol id 0 and a length field of 2-254 (unit id + PDU).
bool mbap_header_ok(const std::uint8_t* p) {
  const std::size_t length = be16(p + 4);
  return be16(p + 2) == k_mbap_protocol_id && length >= k_min_mbap_length && length <= k_max_mbap_length;
}

StreamFrame::Kind kind_of_reason(bool crc_ok, std::string_view reason) {
  if (crc_ok) return StreamFrame::Kind::frame;
  if (reason == "crc mismatch") return StreamFrame::Kind::bad_check;
  if (reason == "truncated") return StreamFrame::Kind::truncated;
  return StreamFrame::Kind::garbage; // "garbage", "too short"
}

} // namespace

StreamSplitterOptions client_splitter_options(Framing framing) {
  StreamSplitterOptions o;
  o.framing = framing;
  o.direction = Direction::response;
  o.stale_us = 0;
  return o;
}

StreamSplitterOptions server_splitter_options(Framing framing, std::optional<std::int64_t> serial_t35_us) {
  StreamSplitterOptions o;
  o.framing = framing;
  o.direction = Direction::request;
  o.silence_us = serial_t35_us ? std::max<std::int64_t>(*serial_t35_us, 5000) : 20000;
  o.stale_us = serial_t35_us ? std::max<std::int64_t>(50 * *serial_t35_us, 200000) : 1000000;
  return o;
}

StreamSplitterOptions sniffer_splitter_options(Framing framing, std::optional<RtuSplitterOptions> line_timing) {
  StreamSplitterOptions o;
  o.framing = framing;
  o.direction = Direction::unknown;
  if (framing == Framing::rtu) o.line_timing = line_timing;
  return o;
}

std::string_view stream_frame_kind_name(StreamFrame::Kind kind) noexcept {
  switch (kind) {
  case StreamFrame::Kind::frame: return "frame";
  case StreamFrame::Kind::bad_check: return "bad_check";
  case StreamFrame::Kind::malformed: return "malformed";
  case StreamFrame::Kind::truncated: return "truncated";
  case StreamFrame::Kind::too_long: return "too_long";
  case StreamFrame::Kind::garbage: return "garbage";
  }
  return "garbage";
}

StreamSplitter::StreamSplitter(StreamSplitterOptions options) : m_options(options) {
  if (m_options.line_timing && m_options.framing == Framing::rtu) {
    m_timed = std::make_unique<RtuSplitter>(
        [this](const SplitFrame& f) {
          m_ready.push_back(
              Owned{{f.bytes.begin(), f.bytes.end()}, f.start_us, f.end_us, f.crc_ok, f.direction, f.reason});
        },
        *m_options.line_timing);
  }
}

StreamSplitter::~StreamSplitter() = default;

void StreamSplitter::compact() {
  if (m_pos == 0) return;
  m_buf.erase(m_buf.begin(), m_buf.begin() + static_cast<std::ptrdiff_t>(m_pos));
  m_pos = 0;
}

void StreamSplitter::feed(std::span<const std::uint8_t> bytes, std::int64_t time_us) {
  if (m_timed) {
    m_timed->feed(bytes, time_us);
    return;
  }
  m_now = time_us;
  if (bytes.empty()) return;
  compact();
  if (m_buf.empty()) m_first_time = time_us;
  m_buf.insert(m_buf.end(), bytes.begin(), bytes.end());
  m_last_time = time_us;
}

void StreamSplitter::idle(std::int64_t now_us) {
  if (m_timed) {
    m_timed->idle(now_us);
    return;
  }
  m_now = std::max(m_now, now_us);
}

void StreamSplitter::flush() {
  if (m_timed) {
    m_timed->flush();
    return;
  }
  m_flushing = true;
}

std::size_t StreamSplitter::reset() {
  std::size_t dropped = pending_bytes();
  m_buf.clear();
  m_pos = 0;
  m_flushing = false;
  if (m_timed) {
    for (const Owned& o : m_ready)
      dropped += o.bytes.size();
    m_ready.clear();
    m_timed = std::make_unique<RtuSplitter>(
        [this](const SplitFrame& f) {
          m_ready.push_back(
              Owned{{f.bytes.begin(), f.bytes.end()}, f.start_us, f.end_us, f.crc_ok, f.direction, f.reason});
        },
        *m_options.line_timing);
  }
  return dropped;
}

void StreamSplitter::expect(std::uint8_t unit, std::uint8_t fc) { m_expect = Expect{unit, fc}; }

std::size_t StreamSplitter::pending_bytes() const {
  if (m_timed) return m_timed->pending_bytes();
  return m_buf.size() - m_pos;
}

std::uint32_t StreamSplitter::line_silence_us() const { return m_timed ? m_timed->silence_us() : 0; }

std::optional<std::int64_t> StreamSplitter::wake_at() const {
  if (m_timed || pending_bytes() == 0) return std::nullopt;
  if (m_options.framing != Framing::rtu && m_options.framing != Framing::rtu_over_tcp) return std::nullopt;
  if (probe_rtu(m_pos).at == At::unknown && !expected_at(m_pos)) return m_last_time + m_options.silence_us;
  if (m_options.stale_us > 0) return m_last_time + m_options.stale_us;
  return std::nullopt;
}

StreamFrame StreamSplitter::take(std::size_t length, StreamFrame::Kind kind, std::string_view reason) {
  StreamFrame f;
  f.kind = kind;
  f.bytes = std::span<const std::uint8_t>(m_buf.data() + m_pos, length);
  f.direction = m_options.direction;
  f.reason = reason;
  f.start_us = m_first_time;
  f.end_us = m_last_time;
  if (kind == StreamFrame::Kind::frame || kind == StreamFrame::Kind::bad_check)
    f.adu = unwrap_adu(f.bytes, m_options.framing, &m_scratch);
  m_pos += length;
  m_first_time = m_last_time;
  return f;
}

std::optional<StreamFrame> StreamSplitter::next() {
  if (m_timed) return next_timed();
  if (m_pos == m_buf.size()) {
    m_flushing = false; // everything given out; feed() reclaims the space
    return std::nullopt;
  }
  switch (m_options.framing) {
  case Framing::tcp: return next_tcp();
  case Framing::ascii: return next_ascii();
  case Framing::rtu:
  case Framing::rtu_over_tcp: return next_rtu();
  }
  return std::nullopt;
}

std::optional<StreamFrame> StreamSplitter::next_tcp() {
  const std::size_t n = m_buf.size();
  const std::size_t avail = n - m_pos;
  if (avail < k_mbap_prefix_size) {
    if (m_flushing) return take(avail, StreamFrame::Kind::truncated, "truncated");
    return std::nullopt;
  }
  if (!mbap_header_ok(m_buf.data() + m_pos)) {
    std::size_t q = m_pos + 1;
    while (q + k_mbap_prefix_size <= n && !mbap_header_ok(m_buf.data() + q))
      ++q;
    return take(q - m_pos, StreamFrame::Kind::garbage, "not an MBAP header");
  }
  const std::size_t length = k_mbap_prefix_size + be16(m_buf.data() + m_pos + 4);
  if (avail < length) {
    if (m_flushing) return take(avail, StreamFrame::Kind::truncated, "truncated");
    return std::nullopt;
  }
  return take(length, StreamFrame::Kind::frame, {});
}

std::optional<StreamFrame> StreamSplitter::next_ascii() {
  const std::size_t n = m_buf.size();
  const std::uint8_t* b = m_buf.data();
  if (b[m_pos] != ':') {
    const std::size_t q = static_cast<std::size_t>(std::find(b + m_pos, b + n, ':') - b);
    return take(q - m_pos, StreamFrame::Kind::garbage, "garbage");
  }
  for (std::size_t i = m_pos + 1; i < n; ++i) {
    const std::size_t length = i - m_pos + 1;
    if (b[i] == ':') return take(length - 1, StreamFrame::Kind::truncated, "truncated");
    if (b[i] == '\n') {
      AsciiScratch scratch;
      const AduView v = unwrap_adu(std::span<const std::uint8_t>(b + m_pos, length), Framing::ascii, &scratch);
      if (!v.error.empty()) return take(length, StreamFrame::Kind::malformed, v.error);
      if (v.check_ok == false) return take(length, StreamFrame::Kind::bad_check, "lrc mismatch");
      return take(length, StreamFrame::Kind::frame, {});
    }
    if (length > k_max_ascii_adu_size) return take(length, StreamFrame::Kind::too_long, "too long");
  }
  if (m_flushing) return take(n - m_pos, StreamFrame::Kind::truncated, "truncated");
  return std::nullopt;
}

bool StreamSplitter::expected_at(std::size_t pos) const {
  if (!m_expect || m_buf.size() - pos < 2) return false;
  const std::uint8_t fc = m_buf[pos + 1];
  return m_buf[pos] == m_expect->unit && (fc == m_expect->fc || fc == (m_expect->fc | k_exception_bit));
}

StreamSplitter::Probe StreamSplitter::probe_rtu(std::size_t pos) const {
  const std::span<const std::uint8_t> rest(m_buf.data() + pos, m_buf.size() - pos);
  const RtuLength r = rtu_frame_length(rest, m_options.direction);
  if (r.status == RtuLength::need_more) return {At::open, r.length};
  if (r.status == RtuLength::known) {
    if (r.length > rest.size()) return {At::open, r.length};
    return {crc16(rest.first(r.length)) == 0 ? At::frame : At::bad_check, r.length};
  }
  // A function the layouts do not know, from the unit and function awaited: its CRC over what
  // has come so far tells whether it is whole.
  if (expected_at(pos) && rest.size() >= k_min_rtu_adu_size && crc16(rest) == 0) return {At::frame, rest.size()};
  return {At::unknown, 0};
}

bool StreamSplitter::open_inside(std::size_t from, std::size_t to) const {
  for (std::size_t q = from; q < to; ++q)
    if (probe_rtu(q).at == At::open) return true;
  return false;
}

bool StreamSplitter::awaited_bad_check() const {
  if (m_timed || (m_options.framing != Framing::rtu && m_options.framing != Framing::rtu_over_tcp)) return false;
  for (std::size_t q = m_pos; q + k_min_rtu_adu_size <= m_buf.size(); ++q) {
    if (!expected_at(q)) continue;
    const Probe p = probe_rtu(q);
    if (p.at == At::bad_check || p.at == At::unknown) return true; // unknown: the CRC over the rest failed
  }
  return false;
}

std::optional<StreamFrame> StreamSplitter::next_rtu() {
  const std::size_t n = m_buf.size();
  const Probe p = probe_rtu(m_pos);
  if (p.at == At::frame) return take(p.length, StreamFrame::Kind::frame, {});
  // A valid frame further on: what comes before it is no frame (a frame by its layout whose
  // CRC fails when it ends right there).
  for (std::size_t q = m_pos + 1; q + k_min_rtu_adu_size <= n; ++q) {
    if (probe_rtu(q).at != At::frame) continue;
    if (p.at == At::bad_check && p.length == q - m_pos)
      return take(q - m_pos, StreamFrame::Kind::bad_check, "crc mismatch");
    return take(q - m_pos, StreamFrame::Kind::garbage, "garbage");
  }
  // A whole frame by its layout with a bad CRC, inside which no other frame can still start
  // (or the awaited answer, come corrupted).
  if (p.at == At::bad_check && (expected_at(m_pos) || !open_inside(m_pos + 1, m_pos + p.length)))
    return take(p.length, StreamFrame::Kind::bad_check, "crc mismatch");

  const std::size_t rest = n - m_pos;
  const bool whole_crc_ok =
      rest >= k_min_rtu_adu_size && crc16(std::span<const std::uint8_t>(m_buf.data() + m_pos, rest)) == 0;
  const std::int64_t quiet = m_now - m_last_time;
  if (p.at == At::unknown && (m_flushing || (!expected_at(m_pos) && quiet >= m_options.silence_us))) {
    // No layout: silence ends the frame ([SL] §2.5.1.1), and its CRC tells whether it is one.
    if (whole_crc_ok) return take(rest, StreamFrame::Kind::frame, {});
    return take(rest, StreamFrame::Kind::garbage, rest < k_min_rtu_adu_size ? "too short" : "garbage");
  }
  if (m_flushing || (m_options.stale_us > 0 && quiet >= m_options.stale_us)) {
    // Given up: what was waited for will not come.
    if (p.at == At::bad_check) return take(p.length, StreamFrame::Kind::bad_check, "crc mismatch");
    return take(rest, StreamFrame::Kind::truncated, "truncated");
  }
  return std::nullopt;
}

std::optional<StreamFrame> StreamSplitter::next_timed() {
  if (m_ready.empty()) return std::nullopt;
  m_current = std::move(m_ready.front());
  m_ready.pop_front();
  StreamFrame f;
  f.kind = kind_of_reason(m_current.crc_ok, m_current.reason);
  f.bytes = m_current.bytes;
  f.direction = m_current.direction;
  f.reason = m_current.reason;
  f.start_us = m_current.start_us;
  f.end_us = m_current.end_us;
  if (f.kind == StreamFrame::Kind::frame || f.kind == StreamFrame::Kind::bad_check)
    f.adu = unwrap_adu(f.bytes, m_options.framing, &m_scratch);
  return f;
}

} // namespace iot::modbus
