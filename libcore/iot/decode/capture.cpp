#include "iot/decode/capture.hpp"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include "iot/core/error.hpp"

namespace iot::decode {

namespace {
// Link-layer header types (https://www.tcpdump.org/linktypes.html).
constexpr int k_link_null = 0;
constexpr int k_link_ethernet = 1;
constexpr int k_link_raw = 101;
constexpr int k_link_raw_old = 12;
constexpr int k_link_loop = 108;
constexpr int k_link_linux_sll = 113;
constexpr int k_link_user0 = 147;
constexpr int k_link_ipv4 = 228;
constexpr int k_link_ipv6 = 229;
constexpr int k_link_linux_sll2 = 276;

constexpr std::uint16_t k_ethertype_ipv4 = 0x0800;
constexpr std::uint16_t k_ethertype_ipv6 = 0x86DD;
constexpr std::uint16_t k_ethertype_vlan = 0x8100;
constexpr std::uint16_t k_ethertype_qinq = 0x88A8;
constexpr std::uint8_t k_proto_tcp = 6;
constexpr std::uint8_t k_proto_udp = 17;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
} // namespace

std::string Endpoint::text() const {
  if (ip.empty()) return "serial";
  if (ip.find(':') != std::string::npos) return "[" + ip + "]:" + std::to_string(port);
  return ip + ":" + std::to_string(port);
}

struct CaptureReader::PcapHandle {
  pcap_t* p = nullptr;
  ~PcapHandle() {
    if (p) pcap_close(p);
  }
};

CaptureReader::CaptureReader(const std::string& path) : m_pcap(std::make_unique<PcapHandle>()) {
  char err[PCAP_ERRBUF_SIZE] = {0};
  m_pcap->p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, err);
  if (m_pcap->p == nullptr) throw io_error(path + ": " + err);
  m_link_type = pcap_datalink(m_pcap->p);
}

CaptureReader::~CaptureReader() = default;

bool CaptureReader::next(CapturedPayload& out) {
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* pkt = nullptr;
    int rc = pcap_next_ex(m_pcap->p, &hdr, &pkt);
    if (rc == PCAP_ERROR_BREAK) return false;
    if (rc == PCAP_ERROR) throw io_error(std::string("capture: ") + pcap_geterr(m_pcap->p));
    if (rc != 1) continue;
    ++m_packet;
    out = CapturedPayload{};
    out.packet_number = m_packet;
    out.ts = from_epoch_us(static_cast<std::int64_t>(hdr->ts.tv_sec) * 1000000 + hdr->ts.tv_usec);
    const std::uint8_t* p = pkt;
    std::size_t len = hdr->caplen;

    if (m_link_type == k_link_user0) {
      out.transport = PayloadTransport::serial;
      out.data = {p, len};
      return true;
    }

    // Link layer down to the network protocol.
    std::uint16_t ethertype = 0;
    // Skips a header of `size` bytes that names the protocol after it at `ethertype_at`.
    const auto take_header = [&](std::size_t size, std::size_t ethertype_at) {
      if (len < size) return false;
      ethertype = be16(p + ethertype_at);
      p += size;
      len -= size;
      return true;
    };
    switch (m_link_type) {
    case k_link_ethernet:
      if (!take_header(14, 12)) break;
      // 802.1Q and 802.1ad tags: 4 bytes each, ending with the next ethertype.
      while (ethertype == k_ethertype_vlan || ethertype == k_ethertype_qinq)
        if (!take_header(4, 2)) break;
      break;
    case k_link_linux_sll: take_header(16, 14); break;
    case k_link_linux_sll2: take_header(20, 0); break;
    case k_link_null:
    case k_link_loop: {
      if (len < 4) break;
      // The address family is in host byte order of the capturing machine.
      std::uint32_t family = m_link_type == k_link_loop ? be32(p) : (p[0] | p[1] << 8 | p[2] << 16 | p[3] << 24);
      if (family > 0xFFFF) family = be32(p);
      ethertype = family == 2                                                      ? k_ethertype_ipv4
                  : (family == 10 || family == 24 || family == 28 || family == 30) ? k_ethertype_ipv6
                                                                                   : 0;
      p += 4;
      len -= 4;
      break;
    }
    case k_link_raw:
    case k_link_raw_old:
    case k_link_ipv4:
    case k_link_ipv6:
      if (len >= 1) ethertype = (p[0] >> 4) == 6 ? k_ethertype_ipv6 : k_ethertype_ipv4;
      break;
    default: break;
    }

    std::uint8_t proto = 0;
    char ipbuf[INET6_ADDRSTRLEN];
    if (ethertype == k_ethertype_ipv4 && len >= 20 && (p[0] >> 4) == 4) {
      std::size_t ihl = static_cast<std::size_t>(p[0] & 15) * 4;
      std::size_t total = be16(p + 2);
      if (ihl < 20 || len < ihl || total < ihl) {
        ++m_skipped;
        continue;
      }
      if ((be16(p + 6) & 0x1FFF) != 0 || (be16(p + 6) & 0x2000) != 0) { // IP fragments are not reassembled
        ++m_skipped;
        continue;
      }
      proto = p[9];
      out.src.ip = inet_ntop(AF_INET, p + 12, ipbuf, sizeof ipbuf);
      out.dst.ip = inet_ntop(AF_INET, p + 16, ipbuf, sizeof ipbuf);
      if (total < len) len = total; // drop Ethernet padding
      p += ihl;
      len -= ihl;
    } else if (ethertype == k_ethertype_ipv6 && len >= 40 && (p[0] >> 4) == 6) {
      std::size_t payload = be16(p + 4);
      proto = p[6];
      out.src.ip = inet_ntop(AF_INET6, p + 8, ipbuf, sizeof ipbuf);
      out.dst.ip = inet_ntop(AF_INET6, p + 24, ipbuf, sizeof ipbuf);
      p += 40;
      len -= 40;
      if (payload < len) len = payload;
    } else {
      ++m_skipped;
      continue;
    }

    if (proto == k_proto_tcp && len >= 20) {
      std::size_t off = static_cast<std::size_t>(p[12] >> 4) * 4;
      if (off < 20 || off > len) {
        ++m_skipped;
        continue;
      }
      out.transport = PayloadTransport::tcp;
      out.src.port = be16(p);
      out.dst.port = be16(p + 2);
      out.tcp_seq = be32(p + 4);
      std::uint8_t flags = p[13];
      out.tcp_fin = flags & 0x01;
      out.tcp_syn = flags & 0x02;
      out.tcp_rst = flags & 0x04;
      out.data = {p + off, len - off};
      if (out.data.empty() && !out.tcp_syn && !out.tcp_fin && !out.tcp_rst) continue; // bare ACK
      return true;
    }
    if (proto == k_proto_udp && len >= 8) {
      out.transport = PayloadTransport::udp;
      out.src.port = be16(p);
      out.dst.port = be16(p + 2);
      std::size_t ulen = be16(p + 4);
      if (ulen >= 8 && ulen < len) len = ulen;
      out.data = {p + 8, len - 8};
      return true;
    }
    ++m_skipped;
  }
}

} // namespace iot::decode
