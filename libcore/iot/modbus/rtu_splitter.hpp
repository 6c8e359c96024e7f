#pragma once
// Splits the byte stream of an RS-485 line, read passively, into RTU frames.
//
// A serial read does not deliver frames: USB adapters hand over bursts up to ~16 ms late,
// split frames in the middle and join back-to-back frames. So silence alone (t3.5, Modbus over
// Serial Line V1.02 §2.5.1.1) cannot delimit frames. The splitter combines three clues:
//  - per-function layouts (rtu_frame_length) tell where a frame must end, and the last request
//    seen predicts the length of its response;
//  - the CRC confirms a cut: a frame is emitted as soon as a layout length has a matching CRC,
//    even with no silence after it, so two frames in one burst are never merged;
//  - silence: a gap of at least `silence_us` ends a frame whose CRC does not match (emitted
//    with crc_ok=false, not dropped), and a gap of at least `latency_us` ends one that is still
//    waiting for bytes its layout announced (truncated), or a corrupt one inside which another
//    frame could still start once more bytes arrive.
// Valid frames outrank timing: a cut never swallows the start of a frame with a matching CRC.
// After garbage it hunts byte by byte for the next position where a valid frame starts.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "iot/modbus/pdu.hpp"

namespace iot::modbus {

struct RtuSplitterOptions {
  std::uint32_t baud = 19200;
  unsigned bits_per_char = 11; // start + 8 data + parity (or 2nd stop) + stop, [SL] §2.5.1
  // Silence that ends a frame; 0 = t3.5 at `baud` ([SL] §2.5.1.1: 3.5 character times, fixed
  // 1750 us above 19200 baud).
  std::uint32_t silence_us = 0;
  // How long a frame whose layout announces more bytes is kept open across a gap: USB adapters
  // deliver up to ~16 ms late.
  std::uint32_t latency_us = 20000;
};

struct SplitFrame {
  std::span<const std::uint8_t> bytes; // valid only during the callback
  std::int64_t start_us = 0;           // estimated time the first byte began on the line
  std::int64_t end_us = 0;             // estimated time the last byte was complete
  bool crc_ok = false;
  Direction direction = Direction::unknown; // from the layout and the last request seen
  // Why crc_ok is false: "crc mismatch" (a frame-sized chunk whose CRC fails), "garbage"
  // (bytes before the next valid frame), "truncated" (fewer bytes than its layout announced),
  // "too short" (under 4 bytes).
  std::string_view reason;
};

class RtuSplitter {
public:
  using Callback = std::function<void(const SplitFrame&)>;

  explicit RtuSplitter(Callback on_frame, RtuSplitterOptions options = {});

  // Bytes returned by one read at `time_us` (microseconds on any monotonic clock; the time the
  // last of them arrived). Emits the frames they complete.
  void feed(std::span<const std::uint8_t> bytes, std::int64_t time_us);
  // Nothing arrived until `now_us`: lets silence end a pending frame without waiting for the next byte.
  void idle(std::int64_t now_us);
  // End of input: emits everything pending.
  void flush();

  std::uint32_t silence_us() const { return m_silence_us; }
  std::uint32_t char_us() const { return m_char_us; }
  std::size_t pending_bytes() const { return m_buf.size() - m_pos; }

  struct Stats {
    std::uint64_t frames = 0;     // emitted with crc_ok
    std::uint64_t bad_frames = 0; // emitted with crc_ok=false
    std::uint64_t bad_bytes = 0;  // bytes in those
  };
  const Stats& stats() const { return m_stats; }

private:
  enum class Tail : std::uint8_t { open, silent, closed };
  struct Candidate {
    std::size_t length;
    Direction dir;
    bool complete; // the buffer holds `length` bytes from the position
  };
  struct Expect {
    std::uint8_t unit;
    std::uint8_t fc;
    std::optional<std::size_t> length; // whole RTU frame of the normal response
  };

  void process(Tail tail);
  std::size_t candidates(std::size_t pos, Candidate* out, bool& pending) const;
  bool valid_at(std::size_t pos, std::size_t* length, Direction* dir) const;
  bool plausible(std::size_t pos, const Candidate& c) const;
  std::optional<std::size_t> hunt(std::size_t from, std::size_t to, std::size_t* first_open = nullptr);
  bool chain_to_end(std::size_t p) const;
  bool boundary(std::size_t i, std::uint32_t gap) const;
  void emit(std::size_t pos, std::size_t len, bool ok, Direction dir, std::string_view reason);
  void compact();

  Callback m_on_frame;
  RtuSplitterOptions m_options;
  std::uint32_t m_char_us;
  std::uint32_t m_silence_us;
  std::vector<std::uint8_t> m_buf;
  std::vector<std::int64_t> m_time; // estimated time each byte was complete
  std::vector<std::uint8_t> m_dead; // hunting: 1 where no valid frame can start
  std::size_t m_pos = 0;            // first byte not yet emitted
  std::int64_t m_last_time = 0;
  bool m_have_time = false;
  std::optional<Expect> m_expect;
  // After a corrupt frame, a frame found by CRC alone must also look like Modbus (known
  // function code, clean decode): resynchronising is where false CRC matches happen.
  bool m_in_sync = true;
  Stats m_stats;
};

} // namespace iot::modbus
