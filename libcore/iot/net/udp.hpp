#pragma once
// Records over UDP (seed 2.3 #15): `iot-mqtt-bridge forward udp://HOST:PORT...`
// sends each stdin record as one datagram to every target, and
// `iot-mqtt-bridge receive udp://ADDR:PORT` writes the records it receives.
//
// A datagram holds one record line (no "\n"). forward puts a small envelope in
// front of the record's own members, so a receiver can count loss:
//   {"udp":{"stream":"9f2c41d07a3be815","seq":17},"ts":…,"kind":"reading",…}
// `stream` names one run of a sender (random, or --stream), `seq` counts its
// datagrams from 0. receive removes the envelope again and counts, per sender
// address and stream, the sequence numbers it did not see (`lost`) and those
// that came late or twice (`late`). Datagrams without the envelope (from other
// senders, e.g. `socat` or a script) are records too, just not counted for
// loss; such a datagram may hold several lines. docs/record-format.md
// ("Records over UDP") is the reference for the format.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iot/core/exit_code.hpp"

namespace iot::net {

// The largest UDP payload over IPv4 (65535 − 8 UDP − 20 IP header bytes, RFC 768/791).
constexpr std::size_t k_max_udp_payload = 65507;

// "udp://HOST:PORT", "udp://[::1]:PORT". Throws usage_error saying what is wrong.
struct UdpUrl {
  std::string host;
  std::uint16_t port = 0;
  std::string text() const; // back to "udp://…"
};
UdpUrl parse_udp_url(std::string_view url);

// The envelope forward writes, and what receive reads back.
// wrap_record appends `{"udp":{"stream":S,"seq":N},` + the record's members to `out`.
// `record` must be a JSON object's text ({…}); leading and trailing blanks are allowed.
void wrap_record(std::string& out, std::string_view record, std::string_view stream, std::uint64_t seq);
struct Envelope {
  std::string stream;
  std::uint64_t seq = 0;
};
// When `line` starts with the envelope exactly as wrap_record writes it, returns
// it and sets `record` to the line without it; otherwise nullopt and `record` = line.
std::optional<Envelope> unwrap_record(std::string_view line, std::string& record);
// A stream name: 1-64 characters of [A-Za-z0-9._-] (so the envelope needs no escaping).
bool valid_stream_name(std::string_view name);

// Sequence bookkeeping of one receiver: per (sender, stream), the next number
// expected. A number above it means the ones between were lost (they may still
// come: then they count as late and are taken off `lost`).
class SequenceTracker {
public:
  struct Result {
    std::uint64_t lost = 0; // newly missing before this one
    bool late = false;      // below the expected number: reordered or duplicated
    bool new_stream = false;
  };
  Result add(const std::string& sender, const std::string& stream, std::uint64_t seq);
  std::uint64_t lost() const { return m_lost; }
  std::uint64_t late() const { return m_late; }
  std::uint64_t recovered() const { return m_recovered; }
  std::size_t streams() const { return m_next.size(); }

private:
  struct State {
    std::uint64_t next = 0;
    std::vector<std::uint64_t> missing; // recent gaps, to tell a late arrival from a duplicate (bounded)
  };
  std::map<std::pair<std::string, std::string>, State> m_next;
  std::uint64_t m_lost = 0, m_late = 0, m_recovered = 0;
};

struct ForwardOptions {
  std::vector<UdpUrl> targets;
  std::size_t max_datagram = k_max_udp_payload;
  std::string stream; // empty: random
  bool envelope = true;
  double rate = 0; // datagrams per second per target (0: as fast as the socket takes them)
  bool stats = true;
};

struct ReceiveOptions {
  UdpUrl listen;
  std::uint64_t count = 0; // stop after this many records (0: no limit)
  std::optional<std::chrono::milliseconds> duration;
  bool keep_envelope = false;
  std::size_t buffer_bytes = 4 << 20; // SO_RCVBUF asked for
  bool stats = true;
};

// forward: reads record lines from `in_fd` until end of input (or SIGINT/SIGTERM)
// and sends each; a stats record to `out_fd` at the end. Lines that are not
// JSON objects, and records too large for one datagram, are reported on
// stderr with their line number and skipped: the exit status is then bad_input.
ExitCode run_forward(const ForwardOptions& options, int in_fd, int out_fd);
// receive: writes each received record to `out_fd` until SIGINT/SIGTERM,
// --count or --duration, then a stats record. Datagrams that are not records are
// reported with the sender's address (exit status bad_input).
ExitCode run_receive(const ReceiveOptions& options, int out_fd);

// Command-line values as typed (apps/mqtt-bridge binds CLI11 to these) and their checked conversion.
struct ForwardArgs {
  std::vector<std::string> targets;
  std::string max_datagram = "65507";
  std::string stream;
  bool no_envelope = false;
  double rate = 0;
  bool no_stats = false;
};
struct ReceiveArgs {
  std::string listen;
  std::uint64_t count = 0;
  std::string duration;
  bool keep_envelope = false;
  std::string buffer = "4M";
  bool no_stats = false;
};
ForwardOptions to_forward_options(const ForwardArgs& a);
ReceiveOptions to_receive_options(const ReceiveArgs& a);

} // namespace iot::net
