// iot-sim: serving one request, with the faults set on its device carried out.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/modbus/spec.hpp"
#include "iot/sim/server.hpp"

namespace iot::sim::detail {

bool Server::serve(Conn& c, std::span<const std::uint8_t> frame, std::uint8_t unit, std::span<const std::uint8_t> pdu,
                   std::uint16_t tid, const sockaddr_storage* peer, socklen_t peer_len) {
  ++m_stats.requests;
  const std::uint64_t id = c.id; // `c` is gone once flush() closes the connection
  Endpoint& ep = *c.ep;
  const bool serial = ep.kind == EndpointKind::serial;
  SimDevice* d = ep.by_unit[unit];
  const std::uint8_t fc = pdu.empty() ? 0 : pdu[0];
  m_pdu_out.clear();
  FaultAction act;
  if (d == nullptr) {
    ++m_stats.unknown_unit;
    if (unit == modbus::k_broadcast_address && serial) {
      // [SL] §2.1: a broadcast write is executed by every slave, and none answers.
      const double t = sim_time();
      for (auto* sd : ep.devices) {
        sd->dev->handle(pdu, t, m_pdu_out, [&](const WriteEvent& e) { log_write(*sd, e); });
      }
      if (m_opt.log) log_request(ep, frame, nullptr, nullptr, {});
      return true;
    }
    const auto& code = ep.port->settings.unknown_unit;
    if (serial || !code) {
      if (m_opt.log) log_request(ep, frame, nullptr, nullptr, {});
      return true; // nobody on the bus has this address: silence
    }
    // A gateway whose target does not answer says so ([AP] §7, codes 0A/0B).
    m_pdu_out.push_back(static_cast<std::uint8_t>(fc | modbus::k_exception_bit));
    m_pdu_out.push_back(*code);
  } else {
    const double t = sim_time();
    act = d->faults.decide(pdu, t);
    if (act.any()) ++m_stats.faults;
    if (act.silent) {
      if (m_opt.log) log_request(ep, frame, d, &act, {});
      return true;
    }
    if (act.drop) {
      if (m_opt.log) log_request(ep, frame, d, &act, {});
      if (ep.kind == EndpointKind::tcp_listen) {
        // Close after what is already queued, as a device that resets the link.
        Chunk ch;
        ch.due = mono_us();
        ch.close_after = true;
        c.out.push_back(std::move(ch));
        flush(c);
        return m_conns.count(id) != 0;
      }
      return true;
    }
    if (act.exception) {
      m_pdu_out.push_back(static_cast<std::uint8_t>(fc | modbus::k_exception_bit));
      m_pdu_out.push_back(*act.exception);
    } else {
      d->dev->handle(pdu, t, m_pdu_out, [&](const WriteEvent& e) { log_write(*d, e); });
    }
  }
  if (m_pdu_out.empty()) return true;
  if (m_pdu_out[0] & modbus::k_exception_bit) ++m_stats.exceptions;
  ++m_stats.answers;
  std::uint8_t reply_unit = unit;
  if (act.wrong_unit) reply_unit = static_cast<std::uint8_t>(unit >= 247 ? 1 : unit + 1);
  const std::uint16_t reply_tid = act.wrong_tid ? static_cast<std::uint16_t>(tid + 1) : tid;
  m_adu_out.clear();
  switch (ep.framing) {
  case Framing::tcp: modbus::append_tcp(m_adu_out, reply_tid, reply_unit, m_pdu_out); break;
  case Framing::rtu:
  case Framing::rtu_over_tcp: modbus::append_rtu(m_adu_out, reply_unit, m_pdu_out); break;
  case Framing::ascii: modbus::append_ascii(m_adu_out, reply_unit, m_pdu_out); break;
  }
  if (m_opt.log) log_request(ep, frame, d, act.any() ? &act : nullptr, m_adu_out);

  const std::int64_t now_us = mono_us();
  std::int64_t due = now_us + act.delay_us;
  std::int64_t per_byte = 0;
  if (serial && m_opt.wire_timing) {
    // The request took its wire time to arrive (a pty delivers it at once), then the
    // line must be silent for t3.5 before the answer ([SL] §2.5.1.1).
    const std::int64_t request_end = c.first_rx + static_cast<std::int64_t>(frame.size()) * ep.char_us;
    due = std::max({due, request_end + ep.t35_us, c.line_free + ep.t35_us});
    per_byte = ep.char_us;
  }
  if (act.ms_per_byte > 0) per_byte = static_cast<std::int64_t>(act.ms_per_byte * 1000);

  // Fast path: nothing queued, nothing to wait for: send now.
  if (!act.any() && per_byte == 0 && due <= now_us && c.out.empty() && !c.datagram) {
    const ssize_t n = ::send(c.fd, m_adu_out.data(), m_adu_out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(m_adu_out.size())) return true;
    if (n < 0 && errno == ENOTSOCK) {
      const ssize_t w = ::write(c.fd, m_adu_out.data(), m_adu_out.size());
      if (w == static_cast<ssize_t>(m_adu_out.size())) return true;
    }
    // Fall through to the queue with what is left.
    Chunk ch;
    ch.due = now_us;
    ch.data = m_adu_out;
    ch.pos = n > 0 ? static_cast<std::size_t>(n) : 0;
    c.out.push_back(std::move(ch));
    flush(c);
    return m_conns.count(id) != 0;
  }
  auto pieces = spoil(m_adu_out, act, ep.framing, m_noise_seed);
  std::int64_t at = due;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    Chunk ch;
    ch.due = at;
    ch.us_per_byte = per_byte;
    ch.data = std::move(pieces[i]);
    if (peer) {
      ch.peer = *peer;
      ch.peer_len = peer_len;
    }
    at += static_cast<std::int64_t>(ch.data.size()) * per_byte;
    if (i + 1 < pieces.size()) at += act.split_us;
    c.out.push_back(std::move(ch));
  }
  c.line_free = at;
  flush(c);
  return m_conns.count(id) != 0;
}

} // namespace iot::sim::detail
