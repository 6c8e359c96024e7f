#include "iot/decode/frames.hpp"

#include "iot/modbus/answer.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/record/records.hpp"

namespace iot::decode {

namespace {
bool echoes_request(std::uint8_t fc) {
  // FC 05, 06, 08, 16: the normal response repeats the request ([AP] §6.5, 6.6, 6.8, 6.16).
  return fc == 0x05 || fc == 0x06 || fc == 0x08 || fc == 0x16;
}

std::string pending_key(const FrameContext& ctx, const modbus::AduView& adu) {
  if (adu.tid) return ctx.channel + "#" + std::to_string(*adu.tid);
  return ctx.channel;
}
} // namespace

const FrameDecoder::Pending* FrameDecoder::find_request(const FrameContext& ctx, const modbus::AduView& adu) const {
  auto it = m_pending.find(pending_key(ctx, adu));
  return it == m_pending.end() ? nullptr : &it->second;
}

void FrameDecoder::decode(std::span<const std::uint8_t> bytes, const FrameContext& ctx, LineSink& sink) {
  ++m_frames;
  const modbus::Framing framing =
      m_options.framing ? *m_options.framing : modbus::detect_framing(bytes).value_or(modbus::Framing::rtu);
  m_frame.raw = bytes;
  m_frame.adu = modbus::unwrap_adu(bytes, framing, &m_frame.scratch);
  const modbus::AduView& adu = m_frame.adu;
  if (adu.check_ok == false) ++m_bad_checks;

  modbus::Direction dir = ctx.direction;
  const Pending* request = nullptr;
  const bool pairing = m_options.pair || adu.tid.has_value();
  if (pairing && adu.error.empty() && adu.unit && !adu.pdu.empty()) {
    const Pending* p = find_request(ctx, adu);
    const std::uint8_t fc = adu.pdu[0] & 0x7F;
    if (p != nullptr && dir != modbus::Direction::request &&
        modbus::match_exchange({p->unit, std::nullopt, p->pdu}, {*adu.unit, std::nullopt, adu.pdu}) !=
            modbus::AnswerMatch::mismatch) {
      // The frame after a request that answers it (its unit and function, the byte count or
      // echo the request fixes) is its response, unless the bytes cannot be one (e.g. a second
      // request for the same registers).
      modbus::DecodedPdu as_response = modbus::decode_pdu(adu.pdu, modbus::Direction::response);
      bool same_as_request = std::equal(p->pdu.begin(), p->pdu.end(), adu.pdu.begin(), adu.pdu.end());
      if (as_response.ok() && (!same_as_request || echoes_request(fc) || dir == modbus::Direction::response)) {
        dir = modbus::Direction::response;
        request = p;
      }
    }
  }

  modbus::DecodedPdu& pdu = m_frame.pdu;
  pdu = modbus::DecodedPdu{};
  if (adu.error.empty() && !adu.pdu.empty()) {
    modbus::decode_pdu(adu.pdu, dir, pdu);
    // When pairing, a frame that could go either way (FC 05, 06, 08, 16 echo their request)
    // and answers no pending request is a request: on a bus, requests come first.
    if (pairing && request == nullptr && pdu.direction == modbus::Direction::unknown && !pdu.is_exception()) {
      modbus::DecodedPdu as_request = modbus::decode_pdu(adu.pdu, modbus::Direction::request);
      if (as_request.ok()) pdu = as_request;
    }
  }
  modbus::DecodedPdu request_pdu;
  if (request != nullptr) {
    modbus::decode_pdu(request->pdu, modbus::Direction::request, request_pdu);
    modbus::pair_with_request(pdu, request_pdu);
  }

  {
    record::Frame rec;
    rec.ts = ctx.ts;
    rec.src = ctx.src;
    rec.dst = ctx.dst;
    rec.members = modbus::frame_members(m_frame);
    if (m_frame.error().empty()) rec.error = ctx.problem;
    if (request != nullptr) rec.latency_ms = std::chrono::duration<double, std::milli>(ctx.ts - request->ts).count();
    RecordLine line(sink);
    record::write(line.w, rec);
  }

  // Remember requests for pairing; a response closes its transaction.
  if (pairing && adu.error.empty() && adu.unit && !adu.pdu.empty()) {
    const std::string key = pending_key(ctx, adu);
    if (pdu.direction == modbus::Direction::request ||
        (pdu.direction == modbus::Direction::unknown && request == nullptr && !pdu.is_exception())) {
      Pending& p = m_pending[key];
      p.pdu.assign(adu.pdu.begin(), adu.pdu.end());
      p.unit = *adu.unit;
      p.ts = ctx.ts;
    } else if (request != nullptr) {
      m_pending.erase(key);
    }
  }
}

} // namespace iot::decode
