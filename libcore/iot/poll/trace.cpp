#include "iot/poll/trace.hpp"

#include <fmt/format.h>
#include <sys/time.h>

#include <cmath>
#include <ctime>

#include "iot/core/time.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/record/records.hpp"

namespace iot::poll {

modbus::Framing framing_of(const transport::Target& target) {
  switch (target.scheme) {
  case transport::Scheme::tcp:
  case transport::Scheme::udp: return modbus::Framing::tcp;
  case transport::Scheme::rtu_over_tcp: return modbus::Framing::rtu_over_tcp;
  case transport::Scheme::rtu: return modbus::Framing::rtu;
  case transport::Scheme::ascii: return modbus::Framing::ascii;
  }
  return modbus::Framing::rtu;
}

TracingClient::TracingClient(const transport::Target& target, std::string port, TraceOptions options,
                             const std::function<std::unique_ptr<transport::Client>(transport::WireTap*)>& make)
    : m_port(std::move(port)), m_options(std::move(options)), m_framing(framing_of(target)), m_inner(make(this)) {}

void TracingClient::hex_line(std::string_view dir, std::span<const std::uint8_t> bytes) const {
  // Local wall-clock time to the microsecond, as a field engineer reads it next to a scope.
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  std::tm tm{};
  ::localtime_r(&tv.tv_sec, &tm);
  std::string line = fmt::format("{:02}:{:02}:{:02}.{:06} {} {}", tm.tm_hour, tm.tm_min, tm.tm_sec,
                                 static_cast<long>(tv.tv_usec), m_port, dir);
  for (std::uint8_t b : bytes)
    line += fmt::format(" {:02X}", b);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void TracingClient::sent(std::span<const std::uint8_t> adu) {
  m_request.assign(adu.begin(), adu.end());
  m_rx.clear();
  if (m_options.hex) hex_line("TX", adu);
  if (m_options.records) frame_record(adu, modbus::Direction::request, nullptr, {});
}

void TracingClient::received(std::span<const std::uint8_t> bytes) {
  m_rx.insert(m_rx.end(), bytes.begin(), bytes.end());
  if (m_options.hex) hex_line("RX", bytes);
}

void TracingClient::frame_record(std::span<const std::uint8_t> bytes, modbus::Direction dir,
                                 const transport::Reply* reply, std::string_view status) {
  modbus::DecodedFrame f;
  modbus::decode_frame(bytes, m_framing, dir, f);
  record::Frame rec;
  rec.ts = now();
  rec.members = modbus::frame_members(f);
  rec.port = m_port;
  if (reply != nullptr && reply->status == transport::ReplyStatus::ok)
    rec.latency_ms = std::round(static_cast<double>(reply->latency.count()) / 10.0) / 100.0;
  rec.status = status;
  m_line.clear();
  {
    JsonWriter w(m_line);
    record::write(w, rec);
  }
  m_options.records(m_line);
}

transport::Reply TracingClient::transact(std::uint8_t unit, std::span<const std::uint8_t> pdu,
                                         std::chrono::microseconds timeout) {
  transport::Reply reply = m_inner->transact(unit, pdu, timeout);
  if (reply.status == transport::ReplyStatus::ok) {
    // The answer frame as it was on the wire: the client matched its unit (and transaction
    // id) and checked its CRC/LRC, so unit + PDU rebuild exactly those bytes.
    m_answer.clear();
    switch (m_framing) {
    case modbus::Framing::tcp: {
      const std::uint16_t tid =
          m_request.size() >= 2 ? static_cast<std::uint16_t>(m_request[0] << 8 | m_request[1]) : 0;
      modbus::append_tcp(m_answer, tid, unit, reply.pdu);
      break;
    }
    case modbus::Framing::ascii: modbus::append_ascii(m_answer, unit, reply.pdu); break;
    default: modbus::append_rtu(m_answer, unit, reply.pdu); break;
    }
    if (m_options.records) frame_record(m_answer, modbus::Direction::response, &reply, {});
  } else if (reply.status != transport::ReplyStatus::stopped) {
    if (m_options.hex) {
      const std::string why = fmt::format("-- no answer: {}", reply.error.empty() ? "?" : reply.error);
      hex_line(why, {});
    }
    // Bytes came but made no answer: show them, decoded as far as they go.
    if (m_options.records && !m_rx.empty())
      frame_record(m_rx, modbus::Direction::response, &reply, transport::reply_status_name(reply.status));
  }
  m_rx.clear();
  return reply;
}

} // namespace iot::poll
