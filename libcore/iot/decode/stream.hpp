#pragma once
// Reassembles the byte streams of captured TCP connections (in order, with
// retransmissions and overlaps dropped) and cuts them into Modbus ADUs: by the
// MBAP length for Modbus TCP, by the per-function RTU length rules for RTU over
// TCP. Bytes that cannot start a frame are skipped one at a time and reported.
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "iot/modbus/adu.hpp"

namespace iot::decode {

class StreamAssembler {
public:
  // Called for each complete ADU: the flow key ("src>dst"), and the bytes.
  using FrameFn = std::function<void(const std::string& flow, std::span<const std::uint8_t> adu)>;
  // Called for bytes skipped because no frame could start there.
  using SkipFn = std::function<void(const std::string& flow, std::size_t count, std::string_view reason)>;

  StreamAssembler(modbus::Framing framing, FrameFn on_frame, SkipFn on_skip);

  // Adds a segment of the flow `flow` (direction matters: one key per direction).
  // `request_side` is true when the segment goes from master to slave.
  void add(const std::string& flow, std::uint32_t seq, std::span<const std::uint8_t> data, bool request_side);
  // SYN: the next segment starts the stream at seq+1. FIN/RST: what is left is flushed as garbage.
  void reset(const std::string& flow, std::uint32_t next_seq);
  void close(const std::string& flow);

private:
  struct Flow {
    bool have_seq = false;
    std::uint32_t next_seq = 0;
    std::vector<std::uint8_t> buffer;
    bool request_side = true;
  };
  void cut(const std::string& key, Flow& flow);

  modbus::Framing m_framing;
  FrameFn m_on_frame;
  SkipFn m_on_skip;
  std::map<std::string, Flow> m_flows;
};

} // namespace iot::decode
