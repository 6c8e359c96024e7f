// iot-decode's capture side: a small pcap file written here, read back through libpcap,
// TCP streams reassembled and cut into Modbus frames, and `iot-decode pcap` on the whole.
#include <simdjson.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "iot/decode/capture.hpp"
#include "iot/decode/commands.hpp"
#include "iot/decode/stream.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/pdu.hpp"

#include "test_lines.hpp"

using namespace iot;
using namespace iot::decode;
using iot_test::CapturedLines;
using Bytes = std::vector<std::uint8_t>;

namespace {

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
void put32le(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Writes a classic pcap file (microsecond time stamps) of raw IPv4 packets (link type 101) or
// of serial frames (link type 147).
class PcapFile {
public:
  explicit PcapFile(std::uint32_t link_type = 101) : m_fd(::mkstemp(m_path)) {
    Bytes h;
    put32le(h, 0xA1B2C3D4);          // magic, microseconds
    h.insert(h.end(), {2, 0, 4, 0}); // version 2.4
    put32le(h, 0);                   // this zone
    put32le(h, 0);                   // sigfigs
    put32le(h, 65535);               // snaplen
    put32le(h, link_type);
    m_bytes = h;
  }
  ~PcapFile() {
    ::close(m_fd);
    std::remove(m_path);
  }
  void packet(std::int64_t ts_us, const Bytes& data) {
    put32le(m_bytes, static_cast<std::uint32_t>(ts_us / 1000000));
    put32le(m_bytes, static_cast<std::uint32_t>(ts_us % 1000000));
    put32le(m_bytes, static_cast<std::uint32_t>(data.size()));
    put32le(m_bytes, static_cast<std::uint32_t>(data.size()));
    m_bytes.insert(m_bytes.end(), data.begin(), data.end());
  }
  // An IPv4 TCP segment from 10.0.0.<src_host>:src_port to 10.0.0.<dst_host>:dst_port.
  void tcp(std::int64_t ts_us, std::uint8_t src_host, std::uint16_t src_port, std::uint8_t dst_host,
           std::uint16_t dst_port, std::uint32_t seq, const Bytes& payload, std::uint8_t flags = 0x18) {
    Bytes p;
    p.insert(p.end(), {0x45, 0x00});
    put16(p, static_cast<std::uint16_t>(40 + payload.size()));
    p.insert(p.end(), {0x00, 0x01, 0x40, 0x00, 64, 6, 0x00, 0x00}); // id, DF, ttl, TCP, checksum
    p.insert(p.end(), {10, 0, 0, src_host, 10, 0, 0, dst_host});
    put16(p, src_port);
    put16(p, dst_port);
    put32(p, seq);
    put32(p, 0);                                              // ack
    p.insert(p.end(), {0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0}); // offset 5, flags, window, checksum, urgent
    p.insert(p.end(), payload.begin(), payload.end());
    packet(ts_us, p);
  }
  const char* path() {
    ::lseek(m_fd, 0, SEEK_SET);
    REQUIRE(::ftruncate(m_fd, 0) == 0);
    REQUIRE(::write(m_fd, m_bytes.data(), m_bytes.size()) == static_cast<ssize_t>(m_bytes.size()));
    return m_path;
  }

private:
  char m_path[32] = "/tmp/iot-unit-pcap.XXXXXX";
  int m_fd;
  Bytes m_bytes;
};

simdjson::dom::element parse(const std::string& line) {
  static simdjson::dom::parser p;
  return p.parse(line).value();
}

const Bytes k_req = modbus::wrap_tcp(0x0102, 1, modbus::encode_read_request(3, 0, 2));
const Bytes k_rsp =
    modbus::wrap_tcp(0x0102, 1, modbus::encode_read_registers_response(3, std::vector<std::uint16_t>{0x1234, 0x5678}));

} // namespace

TEST_CASE("iot::decode::CaptureReader reads TCP payloads and their endpoints from a pcap file") {
  PcapFile pcap;
  pcap.tcp(1700000000123456, 1, 40000, 2, 502, 1000, {}, 0x02); // SYN
  pcap.tcp(1700000000200000, 1, 40000, 2, 502, 1001, k_req);
  pcap.tcp(1700000000210000, 2, 502, 1, 40000, 5000, k_rsp);
  CaptureReader reader(pcap.path());
  // LINKTYPE_RAW (101) in the file; libpcap on Linux reports it as its DLT_RAW (12).
  CHECK((reader.link_type() == 101 || reader.link_type() == 12));
  CapturedPayload p;
  REQUIRE(reader.next(p));
  CHECK(p.tcp_syn);
  CHECK(p.data.empty());
  CHECK(epoch_ms(p.ts) == 1700000000123);
  REQUIRE(reader.next(p));
  CHECK(p.packet_number == 2);
  CHECK(p.transport == PayloadTransport::tcp);
  CHECK(p.src.text() == "10.0.0.1:40000");
  CHECK(p.dst.text() == "10.0.0.2:502");
  CHECK(p.tcp_seq == 1001);
  CHECK(Bytes(p.data.begin(), p.data.end()) == k_req);
  REQUIRE(reader.next(p));
  CHECK(p.src.port == 502);
  CHECK(Bytes(p.data.begin(), p.data.end()) == k_rsp);
  CHECK_FALSE(reader.next(p));
  CHECK(reader.skipped() == 0);
}

TEST_CASE("iot::decode::CaptureReader names a file it cannot read") {
  try {
    CaptureReader reader("/nonexistent/capture.pcap");
    FAIL("opened a file that does not exist");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::io);
    CHECK_THAT(e.what(), Catch::StartsWith("/nonexistent/capture.pcap: "));
  }
}

TEST_CASE("iot::decode::StreamAssembler joins segments, drops retransmissions and skips garbage") {
  std::vector<Bytes> frames;
  std::vector<std::pair<std::size_t, std::string>> skips;
  StreamAssembler a(
      modbus::Framing::tcp,
      [&](const std::string&, std::span<const std::uint8_t> adu) { frames.emplace_back(adu.begin(), adu.end()); },
      [&](const std::string&, std::size_t n, std::string_view why) { skips.emplace_back(n, std::string(why)); });
  a.reset("c>s", 100);
  // The request in two segments, the second sent twice.
  a.add("c>s", 100, std::span(k_req).first(5), true);
  CHECK(frames.empty());
  a.add("c>s", 105, std::span(k_req).subspan(5), true);
  a.add("c>s", 105, std::span(k_req).subspan(5), true);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == k_req);
  // Garbage, then a frame, in one segment.
  Bytes seg = {0xFF, 0xFF, 0xFF};
  seg.insert(seg.end(), k_req.begin(), k_req.end());
  a.add("c>s", static_cast<std::uint32_t>(100 + k_req.size()), seg, true);
  REQUIRE(frames.size() == 2);
  CHECK(frames[1] == k_req);
  REQUIRE(skips.size() == 1);
  CHECK(skips[0].first == 3);
  // A gap in the sequence: the buffered half frame is given up.
  a.add("c>s", 5000, std::span(k_req).first(4), true);
  a.add("c>s", 6000, k_req, true);
  CHECK(frames.size() == 3);
  REQUIRE(skips.size() == 2);
  CHECK(skips[1] == std::pair<std::size_t, std::string>{4, "bytes missing from the capture"});
}

TEST_CASE("iot::decode::StreamAssembler cuts RTU over TCP by the layout of each direction") {
  std::vector<Bytes> frames;
  StreamAssembler a(
      modbus::Framing::rtu_over_tcp,
      [&](const std::string&, std::span<const std::uint8_t> adu) { frames.emplace_back(adu.begin(), adu.end()); },
      [](const std::string&, std::size_t, std::string_view) {});
  const Bytes req = modbus::wrap_rtu(1, modbus::encode_read_request(3, 0, 2));
  const Bytes rsp = modbus::wrap_rtu(1, modbus::encode_read_registers_response(3, std::vector<std::uint16_t>{1, 2}));
  Bytes two = req;
  two.insert(two.end(), req.begin(), req.end());
  a.add("c>s", 1, two, true);
  a.add("s>c", 1, std::span(rsp).first(3), false);
  a.add("s>c", 4, std::span(rsp).subspan(3), false);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0] == req);
  CHECK(frames[1] == req);
  CHECK(frames[2] == rsp);
}

TEST_CASE("iot::decode::run_pcap writes paired frame records for a Modbus TCP conversation") {
  PcapFile pcap;
  pcap.tcp(1700000000000000, 1, 40000, 2, 502, 1000, {}, 0x02);
  pcap.tcp(1700000000100000, 1, 40000, 2, 502, 1001, Bytes(k_req.begin(), k_req.begin() + 4));
  pcap.tcp(1700000000101000, 1, 40000, 2, 502, 1005, Bytes(k_req.begin() + 4, k_req.end()));
  pcap.tcp(1700000000120000, 2, 502, 1, 40000, 7000, k_rsp);
  pcap.tcp(1700000000130000, 1, 40001, 2, 503, 1, k_req); // not a Modbus port
  CapturedLines out;
  PcapCommand cmd;
  cmd.path = pcap.path();
  CHECK(run_pcap(cmd, out.sink) == ExitCode::ok);
  const auto lines = out.lines();
  REQUIRE(lines.size() == 2);
  auto req = parse(lines[0]);
  CHECK(std::string_view(req["kind"]) == "frame");
  CHECK(std::string_view(req["direction"]) == "request");
  CHECK(std::string_view(req["src"]) == "10.0.0.1:40000");
  CHECK(std::string_view(req["dst"]) == "10.0.0.2:502");
  CHECK(std::int64_t(req["tid"]) == 0x0102);
  auto rsp = parse(lines[1]);
  CHECK(std::string_view(rsp["direction"]) == "response");
  CHECK(std::int64_t(rsp["addr"]) == 0);
  CHECK(double(rsp["latency_ms"]) == Approx(19.0)); // from the segment that completed the request
}

TEST_CASE("iot::decode::run_pcap decodes a serial capture (link type 147) as RTU") {
  PcapFile pcap(147);
  pcap.packet(1700000000000000, modbus::wrap_rtu(7, modbus::encode_read_request(4, 1, 1)));
  pcap.packet(1700000000010000,
              modbus::wrap_rtu(7, modbus::encode_read_registers_response(4, std::vector<std::uint16_t>{42})));
  CapturedLines out;
  PcapCommand cmd;
  cmd.path = pcap.path();
  CHECK(run_pcap(cmd, out.sink) == ExitCode::ok);
  const auto lines = out.lines();
  REQUIRE(lines.size() == 2);
  CHECK(std::string_view(parse(lines[0])["framing"]) == "rtu");
  auto rsp = parse(lines[1]);
  CHECK(std::int64_t(rsp["unit"]) == 7);
  CHECK(std::int64_t(rsp["addr"]) == 1);
  CHECK(std::int64_t(rsp["values"].at(0)) == 42);

  PcapCommand tcp = cmd;
  tcp.framing = modbus::Framing::tcp;
  CHECK_THROWS_WITH(run_pcap(tcp, out.sink), Catch::Contains("holds RTU or ASCII frames"));
}
