#pragma once
// Decodes Modbus ADUs into `frame` records, and pairs responses with their
// requests: by transaction id on TCP, by order on serial framings (a response
// follows its request on the bus). A paired response gets the request's
// address and count, and its latency.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "iot/core/time.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/record/output.hpp"

namespace iot::decode {

struct FrameOptions {
  std::optional<modbus::Framing> framing; // forced; detected per frame when absent
  bool pair = false;                      // pair responses with the requests before them
};

// What is known about a frame besides its bytes.
struct FrameContext {
  TimePoint ts;
  modbus::Direction direction = modbus::Direction::unknown; // from capture ports or a tx/rx mark
  std::string channel;      // pairing scope: a TCP connection, a serial line ("" = one shared line)
  std::string src, dst;     // "ip:port" for captures
  std::string_view problem; // why a sniffed frame is suspect ("garbage", "truncated"), shown as error
};

class FrameDecoder {
public:
  explicit FrameDecoder(FrameOptions options) : m_options(options) {}

  // Decodes `adu` and writes one frame record to `sink`.
  void decode(std::span<const std::uint8_t> adu, const FrameContext& ctx, LineSink& sink);

  std::size_t frames() const { return m_frames; }
  std::size_t bad_checks() const { return m_bad_checks; }

private:
  struct Pending {
    std::vector<std::uint8_t> pdu;
    std::uint8_t unit = 0;
    TimePoint ts;
  };
  const Pending* find_request(const FrameContext& ctx, const modbus::AduView& adu) const;

  FrameOptions m_options;
  std::map<std::string, Pending> m_pending; // key: channel + tid (TCP) or channel (serial)
  modbus::DecodedFrame m_frame;             // reused: decoding does not allocate
  std::size_t m_frames = 0;
  std::size_t m_bad_checks = 0;
};

} // namespace iot::decode
