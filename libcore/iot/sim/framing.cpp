// iot-sim: the requests in what a connection received, cut by the shared Modbus stream splitter.
#include <sys/socket.h>

#include <algorithm>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/sim/server.hpp"

namespace iot::sim::detail {

modbus::StreamSplitterOptions request_splitter_options(const Endpoint& ep) {
  return modbus::server_splitter_options(
      ep.framing, ep.kind == EndpointKind::serial ? std::optional<std::int64_t>(ep.t35_us) : std::nullopt);
}

bool Server::process_input(Conn& c) {
  const std::uint64_t id = c.id;
  modbus::StreamSplitter& split = *c.split;
  split.idle(mono_us());
  while (auto f = split.next()) {
    if (!f->ok() || !f->adu.unit || f->adu.pdu.empty()) {
      // [SL] §2.5.1.2, §2.5.2.2: a frame with a wrong CRC or LRC is discarded without an
      // answer, and so is garbage on the line. A TCP stream that is out of step stays so.
      ++m_stats.bad_frames;
      if (c.ep->framing == Framing::tcp) {
        log::info("{}: not a Modbus TCP frame; closing the connection", c.ep->port->name);
        close_conn(id);
        return false;
      }
      continue;
    }
    if (!serve(c, f->bytes, *f->adu.unit, f->adu.pdu, f->adu.tid.value_or(0), nullptr, 0) ||
        m_conns.find(id) == m_conns.end())
      return false;
    c.first_rx = c.last_rx;
  }
  if (const auto at = split.wake_at()) add_timer(*at, id);
  return true;
}

void Server::on_udp(Conn& c) {
  std::uint8_t buf[modbus::k_max_tcp_adu_size + 16];
  for (;;) {
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    const ssize_t n = ::recvfrom(c.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n < 0) return;
    // A datagram carries one MBAP frame: nothing before or after it.
    modbus::StreamSplitter& split = *c.split;
    split.reset();
    split.feed(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(n)));
    split.flush();
    const auto f = split.next();
    if (!f || !f->ok() || f->bytes.size() != static_cast<std::size_t>(n)) {
      ++m_stats.bad_frames;
      continue;
    }
    serve(c, f->bytes, *f->adu.unit, f->adu.pdu, f->adu.tid.value_or(0), &peer, plen);
  }
}

} // namespace iot::sim::detail
