#pragma once
// Reads pcap and pcapng files through libpcap and hands out the application
// payloads that may carry Modbus: TCP segments and UDP datagrams over IPv4 or
// IPv6 (Ethernet, Linux cooked v1/v2, raw IP, BSD loopback), and whole serial
// frames from link type 147 (USER0, what RS-485 sniffers write).
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "iot/core/time.hpp"

namespace iot::decode {

enum class PayloadTransport { tcp, udp, serial };

struct Endpoint {
  std::string ip; // empty for serial
  std::uint16_t port = 0;
  std::string text() const; // "10.0.0.1:502", "[::1]:502"
};

struct CapturedPayload {
  TimePoint ts;
  std::size_t packet_number = 0; // 1-based, as Wireshark numbers frames
  PayloadTransport transport = PayloadTransport::tcp;
  Endpoint src, dst;
  std::uint32_t tcp_seq = 0;
  bool tcp_syn = false, tcp_fin = false, tcp_rst = false;
  std::span<const std::uint8_t> data; // valid until the next call to next()
};

class CaptureReader {
public:
  // Opens a pcap or pcapng file ("-" reads stdin). Throws iot::Error(io) with libpcap's reason.
  explicit CaptureReader(const std::string& path);
  ~CaptureReader();
  CaptureReader(const CaptureReader&) = delete;
  CaptureReader& operator=(const CaptureReader&) = delete;

  // The next packet with a payload (empty TCP segments with SYN/FIN/RST flags
  // are returned too, so streams can be reset). False at end of file.
  bool next(CapturedPayload& out);

  int link_type() const { return m_link_type; }
  // Packets skipped because they were not IP/TCP/UDP/serial or were truncated.
  std::size_t skipped() const { return m_skipped; }

private:
  struct PcapHandle;
  std::unique_ptr<PcapHandle> m_pcap;
  int m_link_type = 0;
  std::size_t m_packet = 0;
  std::size_t m_skipped = 0;
};

} // namespace iot::decode
