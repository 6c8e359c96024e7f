#include "iot/modbus/rtu_splitter.hpp"

#include <cstdint>

#include "iot/modbus/adu.hpp"
#include "iot/modbus/crc.hpp"

namespace iot::modbus {

RtuSplitter::RtuSplitter(Callback on_frame, RtuSplitterOptions options)
    : m_on_frame(std::move(on_frame)), m_options(options), m_char_us(char_time_us(options.baud, options.bits_per_char)),
      m_silence_us(options.silence_us ? options.silence_us : t35_us(options.baud, options.bits_per_char)) {
  m_buf.reserve(4 * k_max_rtu_adu_size);
  m_time.reserve(4 * k_max_rtu_adu_size);
  m_dead.reserve(4 * k_max_rtu_adu_size);
}

void RtuSplitter::feed(std::span<const std::uint8_t> bytes, std::int64_t time_us) {
  if (bytes.empty()) {
    idle(time_us);
    return;
  }
  // The read returned when the last byte was complete; earlier bytes of the chunk came one
  // character time apart (an estimate: a late USB burst makes them look later than they were).
  const std::int64_t k = static_cast<std::int64_t>(bytes.size());
  std::int64_t first = time_us - (k - 1) * m_char_us;
  if (m_have_time && first < m_last_time + m_char_us) first = m_last_time + m_char_us;
  for (std::int64_t j = 0; j < k; ++j) {
    m_buf.push_back(bytes[static_cast<std::size_t>(j)]);
    m_time.push_back(first + j * m_char_us);
    m_dead.push_back(0);
  }
  m_last_time = m_time.back();
  m_have_time = true;
  process(Tail::open);
}

void RtuSplitter::idle(std::int64_t now_us) {
  if (m_pos >= m_buf.size() || !m_have_time) return;
  const std::int64_t gap = now_us - m_last_time;
  if (gap >= m_options.latency_us) {
    process(Tail::closed);
  } else if (gap >= m_silence_us) {
    process(Tail::silent);
  }
}

void RtuSplitter::flush() { process(Tail::closed); }

bool RtuSplitter::boundary(std::size_t i, std::uint32_t gap) const {
  if (i == 0 || i >= m_buf.size()) return false;
  return m_time[i] - m_time[i - 1] - m_char_us >= static_cast<std::int64_t>(gap);
}

std::size_t RtuSplitter::candidates(std::size_t pos, Candidate* out, bool& pending) const {
  const std::span<const std::uint8_t> rest(m_buf.data() + pos, m_buf.size() - pos);
  std::size_t k = 0;
  pending = false;
  auto add = [&](RtuLength r, Direction dir) {
    if (r.status == RtuLength::need_more) pending = true;
    if (r.status != RtuLength::known) return;
    out[k++] = Candidate{r.length, dir, r.length <= rest.size()};
  };
  const bool expected = m_expect && rest.size() >= 2 && rest[0] == m_expect->unit && (rest[1] & 0x7F) == m_expect->fc;
  if (expected) {
    if (m_expect->length && !(rest[1] & k_exception_bit))
      add({RtuLength::known, *m_expect->length}, Direction::response);
    add(rtu_frame_length(rest, Direction::response), Direction::response);
    add(rtu_frame_length(rest, Direction::request), Direction::request);
  } else {
    add(rtu_frame_length(rest, Direction::request), Direction::request);
    add(rtu_frame_length(rest, Direction::response), Direction::response);
  }
  return k;
}

// A clean decode, a known function code and, for an exception, a defined exception code (a
// 5-byte exception frame is the easiest to fake).
bool RtuSplitter::plausible(std::size_t pos, const Candidate& c) const {
  const std::span<const std::uint8_t> frame(m_buf.data() + pos, c.length);
  const DecodedPdu d = decode_pdu(frame.subspan(1, frame.size() - 3), c.dir);
  return d.ok() && fc_known(d.fc) && !(d.exception && exception_name(*d.exception) == "unknown");
}

bool RtuSplitter::valid_at(std::size_t pos, std::size_t* length, Direction* dir) const {
  Candidate c[3];
  bool pending = false;
  const std::size_t k = candidates(pos, c, pending);
  for (std::size_t i = 0; i < k; ++i) {
    if (!c[i].complete) continue;
    const std::span<const std::uint8_t> frame(m_buf.data() + pos, c[i].length);
    if (crc16(frame) != 0) continue;
    // A matching CRC at a random position happens once in 65536 tries, and garbage is hunted
    // through byte by byte: the frame must also look like Modbus.
    if (!plausible(pos, c[i])) continue;
    if (length) *length = c[i].length;
    if (dir) *dir = c[i].dir;
    return true;
  }
  return false;
}

std::optional<std::size_t> RtuSplitter::hunt(std::size_t from, std::size_t to, std::size_t* first_open) {
  if (first_open) *first_open = SIZE_MAX;
  for (std::size_t p = from; p < to; ++p) {
    if (m_dead[p]) continue;
    if (valid_at(p, nullptr, nullptr)) return p;
    Candidate c[3];
    bool pending = false;
    const std::size_t k = candidates(p, c, pending);
    bool all_complete = !pending;
    for (std::size_t i = 0; i < k; ++i)
      all_complete = all_complete && c[i].complete;
    // Every layout at p is complete and fails: no later byte can make p a frame start, so it
    // is not checked again (garbage arrives in small chunks and is hunted through repeatedly).
    if (all_complete) {
      m_dead[p] = 1;
    } else if (first_open && *first_open == SIZE_MAX) {
      *first_open = p; // a frame may still start here once its bytes are in
    }
  }
  return std::nullopt;
}

bool RtuSplitter::chain_to_end(std::size_t p) const {
  const std::size_t n = m_buf.size();
  std::size_t frames = 0;
  std::size_t length = 0;
  while (p < n && valid_at(p, &length, nullptr)) {
    p += length;
    ++frames;
  }
  return frames >= 2;
}

void RtuSplitter::emit(std::size_t pos, std::size_t len, bool ok, Direction dir, std::string_view reason) {
  SplitFrame f;
  f.bytes = std::span<const std::uint8_t>(m_buf.data() + pos, len);
  f.start_us = m_time[pos] - m_char_us;
  f.end_us = m_time[pos + len - 1];
  f.crc_ok = ok;
  f.direction = dir;
  f.reason = reason;
  m_in_sync = ok;
  if (ok) {
    ++m_stats.frames;
    const std::uint8_t unit = f.bytes[0];
    const std::uint8_t fc = f.bytes[1];
    if (dir == Direction::request && unit != k_broadcast_address && !(fc & k_exception_bit)) {
      const auto pdu_len = expected_response_pdu_length(f.bytes.subspan(1, len - 3));
      m_expect = Expect{unit, fc, pdu_len ? std::optional<std::size_t>(*pdu_len + 3) : std::nullopt};
    } else if (dir == Direction::response) {
      m_expect.reset();
    }
  } else {
    ++m_stats.bad_frames;
    m_stats.bad_bytes += len;
  }
  m_pos = pos + len;
  if (m_on_frame) m_on_frame(f);
}

void RtuSplitter::process(Tail tail) {
  const std::size_t n = m_buf.size();
  // First index g in (pos, n] after which a gap of `gap` was seen; n when the tail is that quiet.
  auto first_boundary = [&](std::size_t pos, std::uint32_t gap, bool tail_counts) -> std::optional<std::size_t> {
    for (std::size_t i = pos + 1; i < n; ++i)
      if (boundary(i, gap)) return i;
    if (tail_counts) return n;
    return std::nullopt;
  };
  auto bad_reason = [](std::size_t len, std::string_view r) { return len < k_min_rtu_adu_size ? "too short" : r; };

  while (m_pos < n) {
    const std::size_t pos = m_pos;
    Candidate c[3];
    bool pending = false;
    const std::size_t k = candidates(pos, c, pending);

    // 1. A layout length whose CRC matches: a frame, whatever the timing says.
    std::optional<std::size_t> hit;
    for (std::size_t i = 0; i < k && !hit; ++i)
      if (c[i].complete && crc16(std::span<const std::uint8_t>(m_buf.data() + pos, c[i].length)) == 0) hit = i;
    if (hit && !m_in_sync && !plausible(pos, c[*hit])) hit.reset();
    if (hit) {
      const Candidate& h = c[*hit];
      Direction dir = h.dir;
      // Both directions have this length (e.g. the echo of FC 05): keep the preferred one unless
      // only the other decodes cleanly.
      for (std::size_t i = 0; i < k; ++i) {
        if (i == *hit || c[i].length != h.length || c[i].dir == h.dir) continue;
        const std::span<const std::uint8_t> pdu(m_buf.data() + pos + 1, h.length - 3);
        if (!decode_pdu(pdu, h.dir).ok() && decode_pdu(pdu, c[i].dir).ok()) dir = c[i].dir;
      }
      emit(pos, h.length, true, dir, {});
      continue;
    }

    // 2. No layout known (a function code we cannot size): silence delimits it.
    if (k == 0 && !pending) {
      if (auto g = first_boundary(pos, m_silence_us, tail != Tail::open)) {
        const std::size_t len = *g - pos;
        if (len >= k_min_rtu_adu_size && crc16(std::span<const std::uint8_t>(m_buf.data() + pos, len)) == 0) {
          emit(pos, len, true, Direction::unknown, {});
          continue;
        }
      }
    }

    bool incomplete = pending;
    for (std::size_t i = 0; i < k; ++i)
      incomplete = incomplete || !c[i].complete;
    if (incomplete) {
      // 3. The layout announces more bytes than we have. A valid frame starting after a silence
      //    means this one was cut short; a long silence means it will not be completed.
      //    Timing is a weak clue (a USB burst moves gaps around), valid frames a strong one: a
      //    valid frame after the start cuts this one short when a silence precedes it, when the
      //    line has gone quiet, when a long gap shows this frame will not complete anyway, or
      //    when at least two valid frames follow each other from there.
      const auto h = first_boundary(pos, m_options.latency_us, tail == Tail::closed);
      if (auto p = hunt(pos + 1, n);
          p && (boundary(*p, m_silence_us) || tail != Tail::open || (h && *p < *h) || chain_to_end(*p))) {
        emit(pos, *p - pos, false, Direction::unknown, bad_reason(*p - pos, "truncated"));
        continue;
      }
      if (h) {
        emit(pos, *h - pos, false, Direction::unknown, bad_reason(*h - pos, "truncated"));
        continue;
      }
      break;
    }

    // 4. Every layout is complete and none has a matching CRC (or there is no layout).
    const auto g = first_boundary(pos, m_silence_us, tail != Tail::open);
    std::size_t first_open = SIZE_MAX;
    const auto p = hunt(pos + 1, n, &first_open);
    if (p && (!g || *p <= *g)) {
      const std::size_t len = *p - pos;
      bool sized = false;
      for (std::size_t i = 0; i < k; ++i)
        sized = sized || c[i].length == len;
      emit(pos, len, false, Direction::unknown, bad_reason(len, sized ? "crc mismatch" : "garbage"));
      continue;
    }
    if (g) {
      // A corrupt frame ended by silence. When a late USB burst put a false gap inside it, its
      // layout length is the better cut: take it if the frame's end is followed by silence or a
      // valid frame.
      std::size_t cut = *g;
      bool wait = false;
      for (std::size_t i = 0; i < k; ++i) {
        const std::size_t e = pos + c[i].length;
        // Never stretch over the start of a valid frame.
        if (c[i].length <= *g - pos || e > n || (p && *p < e)) continue;
        if (e == n && tail == Tail::open) {
          wait = true; // the layout ends where the bytes do: the next read or idle() tells
          break;
        }
        if (e == n || boundary(e, m_silence_us) || valid_at(e, nullptr, nullptr)) {
          cut = e;
          break;
        }
      }
      // A frame may start inside the cut once more bytes arrive (a late burst hid the silence
      // before it): wait for them unless the line has been quiet for longer than the latency.
      if (wait || (first_open < cut && tail != Tail::closed)) break;
      emit(pos, cut - pos, false, Direction::unknown, bad_reason(cut - pos, "crc mismatch"));
      continue;
    }
    if (n - pos > 2 * k_max_rtu_adu_size) {
      // No valid frame can start this far back and still be incomplete: it is garbage.
      emit(pos, n - pos - k_max_rtu_adu_size, false, Direction::unknown, "garbage");
      continue;
    }
    break;
  }
  compact();
}

void RtuSplitter::compact() {
  if (m_pos == m_buf.size()) {
    m_buf.clear();
    m_time.clear();
    m_dead.clear();
    m_pos = 0;
  } else if (m_pos >= 2048) {
    m_buf.erase(m_buf.begin(), m_buf.begin() + static_cast<std::ptrdiff_t>(m_pos));
    m_time.erase(m_time.begin(), m_time.begin() + static_cast<std::ptrdiff_t>(m_pos));
    m_dead.erase(m_dead.begin(), m_dead.begin() + static_cast<std::ptrdiff_t>(m_pos));
    m_pos = 0;
  }
}

} // namespace iot::modbus
