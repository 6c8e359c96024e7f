#pragma once
// Wire trace (iot-poll --trace, -v): the bytes a client exchanges, for a device that
// misbehaves. A TracingClient wraps a port's client and reports
//  - with records: a `frame` record (the format iot-decode writes, docs/record-format.md) for
//    every request and every answer, plus `port` and, on answers, `latency_ms`; bytes that came
//    but made no answer (bad CRC, wrong unit, garbage) as a frame record with `status`;
//  - with hex: "HH:MM:SS.uuuuuu PORT TX 01 03 ..." and "... RX ..." lines on stderr, one per
//    frame sent and per chunk read, and a line saying why a request got no answer.
// Only clients of a run with --trace or -v are wrapped: the plain path is untouched.
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "iot/modbus/adu.hpp"
#include "iot/transport/client.hpp"

namespace iot::poll {

// Where trace records go: one line at a time, from any port's thread.
using TraceWriter = std::function<void(std::string_view line)>;

struct TraceOptions {
  TraceWriter records; // empty: no frame records
  bool hex = false;    // TX/RX lines on stderr
};

// The frame's framing on the wire for a target (tcp and udp carry MBAP).
modbus::Framing framing_of(const transport::Target& target);

class TracingClient final : public transport::Client, private transport::WireTap {
public:
  // `make(tap)` creates the wrapped client with `tap` in its ClientOptions.
  TracingClient(const transport::Target& target, std::string port, TraceOptions options,
                const std::function<std::unique_ptr<transport::Client>(transport::WireTap*)>& make);

  void open() override { m_inner->open(); }
  void close() override { m_inner->close(); }
  bool is_open() const override { return m_inner->is_open(); }
  transport::Reply transact(std::uint8_t unit, std::span<const std::uint8_t> pdu,
                            std::chrono::microseconds timeout) override;
  void send_only(std::uint8_t unit, std::span<const std::uint8_t> pdu) override { m_inner->send_only(unit, pdu); }
  std::chrono::microseconds wire_time(std::size_t req, std::size_t rep) const override {
    return m_inner->wire_time(req, rep);
  }
  std::string describe() const override { return m_inner->describe(); }

private:
  void sent(std::span<const std::uint8_t> adu) override;
  void received(std::span<const std::uint8_t> bytes) override;
  void hex_line(std::string_view dir, std::span<const std::uint8_t> bytes) const;
  void frame_record(std::span<const std::uint8_t> bytes, modbus::Direction dir, const transport::Reply* reply,
                    std::string_view status);

  std::string m_port;
  TraceOptions m_options;
  modbus::Framing m_framing;
  std::unique_ptr<transport::Client> m_inner;
  std::vector<std::uint8_t> m_request; // the last frame sent
  std::vector<std::uint8_t> m_rx;      // bytes read since it was sent
  std::vector<std::uint8_t> m_answer;  // the answer frame, rebuilt from its PDU
  std::string m_line;
};

} // namespace iot::poll
