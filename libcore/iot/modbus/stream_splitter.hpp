#pragma once
// The one place that cuts a Modbus byte stream into frames, for every framing and for both
// ends of a conversation and a listener in the middle:
//  - TCP (MBAP, [TCP] §3.1.3): the header's length field says where a frame ends. A header
//    with another protocol id or an impossible length is not one; the bytes up to the next
//    plausible header come out as garbage.
//  - ASCII ([SL] §2.5.2.1): a frame runs from ':' to LF. A ':' inside a frame starts a new one
//    (the state diagram of §2.5.2.1 empties the reception buffer on ':'); bytes outside a frame
//    are garbage; a frame that grows past 513 characters is given up. The LRC is checked.
//  - RTU and RTU over TCP ([SL] §2.5.1): the per-function layouts of [AP] §6.x tell how long a
//    frame is (rtu_frame_length, in the direction the stream carries), the CRC confirms it. A
//    valid frame is found at any offset: what comes before it is garbage. A frame whose layout
//    is unknown ends with silence; a partial frame that stays incomplete is given up.
//    A listener on a serial line (a sniffer, Direction::unknown with `line_timing`) also uses
//    the timing of the bytes: see RtuSplitter, the engine this class runs for it.
//
// The splitter owns the bytes: feed() appends, next() returns one frame or one run of bad
// bytes at a time, and every byte fed comes out exactly once (in a frame or in a bad run)
// unless reset() drops it. A returned frame is valid until the next call on the splitter.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "iot/modbus/adu.hpp"
#include "iot/modbus/rtu_splitter.hpp"

namespace iot::modbus {

// [TCP] §3.1.3: the MBAP length field counts the unit id and the PDU, whose size is 1-253
// bytes ([AP] §4.1): 2-254.
inline constexpr std::size_t k_min_mbap_length = 2;
inline constexpr std::size_t k_max_mbap_length = k_max_pdu_size + 1;
// The MBAP fields before the unit id (transaction id, protocol id, length): the length field
// is known once these 6 bytes are in.
inline constexpr std::size_t k_mbap_prefix_size = 6;

struct StreamFrame {
  enum class Kind : std::uint8_t {
    frame,     // a whole frame whose CRC/LRC matches (TCP: a well-formed MBAP frame)
    bad_check, // a whole frame by its layout, but the CRC/LRC does not match
    malformed, // ASCII from ':' to LF that is not a frame (odd length, not hex, too short)
    truncated, // the start of a frame whose rest never came
    too_long,  // ASCII: no LF within 513 characters
    garbage,   // bytes that start no frame
  };
  Kind kind = Kind::garbage;
  std::span<const std::uint8_t> bytes;      // valid until the next call on the splitter
  Direction direction = Direction::unknown; // of a frame: by its layout (sniffer) or the stream's
  AduView adu;                              // unwrapped; for Kind::frame and bad_check
  // "crc mismatch", "lrc mismatch", "garbage", "truncated", "too short", "too long",
  // "not an MBAP header", or the ASCII unwrap error; empty for a frame.
  std::string_view reason;
  std::int64_t start_us = 0; // timed RTU: when the first byte began on the line; else time fed
  std::int64_t end_us = 0;   // timed RTU: when the last byte was complete; else time fed
  bool ok() const { return kind == Kind::frame; }
};
std::string_view stream_frame_kind_name(StreamFrame::Kind kind) noexcept;

struct StreamSplitterOptions {
  Framing framing = Framing::rtu;
  // What the stream carries: requests (a server reads them), responses (a client), or both
  // (a sniffer). RTU layouts are looked up in this direction.
  Direction direction = Direction::unknown;
  // RTU read passively from a serial line: frames are delimited by layout, CRC and timing
  // together (RtuSplitter). Without it, timing only ends what layouts cannot.
  std::optional<RtuSplitterOptions> line_timing;
  // RTU between peers: an RTU frame whose layout is unknown ends after this much silence.
  std::int64_t silence_us = 20000;
  // RTU between peers: the start of a frame that gets no byte for this long is given up
  // (0: never).
  std::int64_t stale_us = 1000000;
};

// How each tool configures the splitter (here, so that tests feed the same streams to each).
// A client reads answers: response layouts; it never gives up a partial answer by itself (its
// transaction's deadline does) and never waits on silence.
StreamSplitterOptions client_splitter_options(Framing framing);
// A server reads requests: request layouts. On a serial line (t3.5 given) a frame of unknown
// layout ends after max(t3.5, 5 ms) of silence and a partial one is given up after
// max(50 t3.5, 200 ms); on a network 20 ms and 1 s.
StreamSplitterOptions server_splitter_options(Framing framing, std::optional<std::int64_t> serial_t35_us);
// A listener sees both directions; on RTU with the line's timing (see RtuSplitter).
StreamSplitterOptions sniffer_splitter_options(Framing framing, std::optional<RtuSplitterOptions> line_timing);

class StreamSplitter {
public:
  explicit StreamSplitter(StreamSplitterOptions options);
  ~StreamSplitter();
  // The timed engine calls back into this object: it stays where it was made.
  StreamSplitter(const StreamSplitter&) = delete;
  StreamSplitter& operator=(const StreamSplitter&) = delete;

  const StreamSplitterOptions& options() const { return m_options; }

  // Bytes from one read, the last of them arrived at `time_us` (microseconds on a monotonic
  // clock; any value when no timing is used).
  void feed(std::span<const std::uint8_t> bytes, std::int64_t time_us = 0);
  // Nothing arrived until `now_us`: silence and staleness are judged against it.
  void idle(std::int64_t now_us);
  // End of input: next() gives out everything still pending.
  void flush();
  // The next frame or run of bad bytes, or nullopt while more bytes (or time) are needed.
  std::optional<StreamFrame> next();
  // Forgets everything buffered (a datagram, a new transaction); returns how many bytes.
  std::size_t reset();

  // A client waiting for the answer from `unit` to a request with function code `fc`: a frame
  // of that unit and function with an unknown layout is taken whole when its CRC matches, and a
  // complete one with a bad CRC is given out at once (the answer came, corrupted).
  void expect(std::uint8_t unit, std::uint8_t fc);
  void expect_nothing() { m_expect.reset(); }
  // Whether the buffer holds a complete frame from the awaited unit and function whose CRC/LRC
  // does not match, behind bytes that may still start a frame.
  bool awaited_bad_check() const;

  std::size_t pending_bytes() const;
  // When idle() can next end a pending frame (silence or staleness), if anything is pending.
  std::optional<std::int64_t> wake_at() const;
  // Timed RTU: the silence that ends a frame (t3.5 unless set).
  std::uint32_t line_silence_us() const;

private:
  struct Expect {
    std::uint8_t unit;
    std::uint8_t fc;
  };
  enum class At : std::uint8_t { frame, bad_check, open, unknown };
  struct Probe {
    At at = At::unknown;
    std::size_t length = 0;
  };
  Probe probe_rtu(std::size_t pos) const;
  bool expected_at(std::size_t pos) const;
  bool open_inside(std::size_t from, std::size_t to) const;
  std::optional<StreamFrame> next_tcp();
  std::optional<StreamFrame> next_ascii();
  std::optional<StreamFrame> next_rtu();
  std::optional<StreamFrame> next_timed();
  StreamFrame take(std::size_t length, StreamFrame::Kind kind, std::string_view reason);
  void compact();

  StreamSplitterOptions m_options;
  std::vector<std::uint8_t> m_buf;
  std::size_t m_pos = 0; // first byte not yet given out
  std::int64_t m_first_time = 0;
  std::int64_t m_last_time = 0;
  std::int64_t m_now = 0;
  bool m_flushing = false;
  std::optional<Expect> m_expect;
  AsciiScratch m_scratch{};
  // Timed RTU: the engine and the frames it emitted, not yet given out.
  struct Owned {
    std::vector<std::uint8_t> bytes;
    std::int64_t start_us, end_us;
    bool crc_ok;
    Direction direction;
    std::string_view reason;
  };
  std::unique_ptr<RtuSplitter> m_timed;
  std::deque<Owned> m_ready;
  Owned m_current;
};

} // namespace iot::modbus
