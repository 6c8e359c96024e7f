#pragma once
// Does an answer belong to a request? A Modbus answer carries no request id on
// serial lines (and the MBAP transaction id only on TCP), so a client tells its
// own answer from a late or foreign one by what the answer must repeat of the
// request (Modbus Application Protocol V1.1b3 §6): the function code (or its
// exception form, §7), the byte count of a read (FC 01-04, 17), and the address
// with value or quantity that FC 05, 06, 0F, 10 and 16 echo. Checked in place,
// without allocating, for every answer.
#include <cstdint>
#include <span>

namespace iot::transport {

enum class AnswerMatch {
  match,     // a normal answer that fits the request
  exception, // an exception answer to the request's function (§7: fc | 0x80, one code byte)
  mismatch,  // another function, byte count, address or value: not this request's answer
};

AnswerMatch match_answer(std::span<const std::uint8_t> request_pdu, std::span<const std::uint8_t> answer_pdu) noexcept;

} // namespace iot::transport
