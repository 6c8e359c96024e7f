#include "iot/decode/stream.hpp"

#include "iot/modbus/spec.hpp"

namespace iot::decode {

namespace {
// Bytes kept waiting for the rest of a frame before they are given up on.
constexpr std::size_t k_max_pending = 4096;
} // namespace

StreamAssembler::StreamAssembler(modbus::Framing framing, FrameFn on_frame, SkipFn on_skip)
    : m_framing(framing), m_on_frame(std::move(on_frame)), m_on_skip(std::move(on_skip)) {}

void StreamAssembler::reset(const std::string& key, std::uint32_t next_seq) {
  Flow& f = m_flows[key];
  if (!f.buffer.empty()) m_on_skip(key, f.buffer.size(), "incomplete frame at connection start");
  f.buffer.clear();
  f.have_seq = true;
  f.next_seq = next_seq;
}

void StreamAssembler::close(const std::string& key) {
  auto it = m_flows.find(key);
  if (it == m_flows.end()) return;
  if (!it->second.buffer.empty()) m_on_skip(key, it->second.buffer.size(), "incomplete frame at connection end");
  m_flows.erase(it);
}

void StreamAssembler::add(const std::string& key, std::uint32_t seq, std::span<const std::uint8_t> data,
                          bool request_side) {
  Flow& f = m_flows[key];
  f.request_side = request_side;
  if (!f.have_seq) {
    f.have_seq = true; // capture started mid-connection: take the stream from here
    f.next_seq = seq;
  }
  // Sequence arithmetic is modulo 2^32.
  auto offset = static_cast<std::int32_t>(seq - f.next_seq);
  if (offset > 0) {
    // A gap: bytes were not captured. Whatever is buffered cannot be completed.
    if (!f.buffer.empty()) m_on_skip(key, f.buffer.size(), "bytes missing from the capture");
    f.buffer.clear();
    f.next_seq = seq;
    offset = 0;
  }
  auto skip = static_cast<std::size_t>(-offset); // retransmitted part
  if (skip >= data.size()) return;
  data = data.subspan(skip);
  f.buffer.insert(f.buffer.end(), data.begin(), data.end());
  f.next_seq += static_cast<std::uint32_t>(data.size());
  cut(key, f);
}

void StreamAssembler::cut(const std::string& key, Flow& f) {
  std::size_t pos = 0;
  std::size_t skipped = 0;
  auto& buf = f.buffer;
  while (pos < buf.size()) {
    std::span<const std::uint8_t> rest(buf.data() + pos, buf.size() - pos);
    std::size_t length = 0;
    bool bad_start = false;
    if (m_framing == modbus::Framing::tcp) {
      if (rest.size() < modbus::k_mbap_header_size) break;
      const auto protocol = static_cast<std::uint16_t>(rest[2] << 8 | rest[3]);
      const auto mbap_len = static_cast<std::uint16_t>(rest[4] << 8 | rest[5]);
      // [TCP] §3.1.3: protocol id 0; length counts unit + PDU (2..254).
      if (protocol != modbus::k_mbap_protocol_id || mbap_len < 2 || mbap_len > modbus::k_max_pdu_size + 1) {
        bad_start = true;
      } else {
        length = 6 + static_cast<std::size_t>(mbap_len);
      }
    } else {
      auto dir = f.request_side ? modbus::Direction::request : modbus::Direction::response;
      modbus::RtuLength r = modbus::rtu_frame_length(rest, dir);
      if (r.status == modbus::RtuLength::known) {
        length = r.length;
      } else if (r.status == modbus::RtuLength::need_more) {
        break;
      } else {
        bad_start = true;
      }
    }
    if (bad_start) {
      ++skipped;
      ++pos;
      continue;
    }
    if (rest.size() < length) break;
    if (skipped) {
      m_on_skip(key, skipped, "bytes that do not start a Modbus frame");
      skipped = 0;
    }
    m_on_frame(key, rest.first(length));
    pos += length;
  }
  if (skipped) m_on_skip(key, skipped, "bytes that do not start a Modbus frame");
  buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(pos));
  if (buf.size() > k_max_pending) {
    m_on_skip(key, buf.size(), "frame longer than any Modbus frame");
    buf.clear();
  }
}

} // namespace iot::decode
