#pragma once
// Does an answer belong to a request, and may its data be trusted? A Modbus answer carries no
// request id on serial lines (and the MBAP transaction id only on TCP), so a client tells its
// own answer from a late or foreign one, and a listener pairs a response with its request, by
// what the answer must repeat of the request (Modbus Application Protocol V1.1b3 §6): the
// function code (or its exception form, §7), the byte count of a read (FC 01-04, 17), and the
// address with value or quantity that FC 05, 06, 0F, 10 and 16 echo. Functions whose answer
// the request does not fix (08, 0B, 0C, 11, 14, 15, 18, 2B, user-defined) match on the code.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace iot::modbus {

enum class AnswerMatch : std::uint8_t {
  match,     // a normal answer that fits the request
  exception, // an exception answer to the request's function (§7: fc | 0x80, one code byte)
  mismatch,  // another function, byte count, address or value: not this request's answer
};

// The verdict alone: checked in place, without allocating, for every frame a client reads.
AnswerMatch match_answer(std::span<const std::uint8_t> request_pdu, std::span<const std::uint8_t> answer_pdu) noexcept;

struct AnswerCheck {
  AnswerMatch match = AnswerMatch::mismatch;
  bool ok = false;                       // a normal answer that fits the request
  std::optional<std::uint8_t> exception; // the code of an exception answer
  std::string error;                     // why it does not fit, when it does not
};
// The verdict with the reason, for a poller that reports it: "answer has function code 4,
// expected 3", "answer carries 2 data bytes, expected 4", ...
AnswerCheck check_answer(std::span<const std::uint8_t> request_pdu, std::span<const std::uint8_t> answer_pdu);

// One side of an exchange as framed: unit, MBAP transaction id (TCP only) and PDU.
struct AduParts {
  std::uint8_t unit = 0;
  std::optional<std::uint16_t> tid;
  std::span<const std::uint8_t> pdu;
};
// Whether `answer` answers `request` at the ADU level too: the same unit, the same
// transaction id when both have one, and a PDU that match_answer accepts.
AnswerMatch match_exchange(const AduParts& request, const AduParts& answer) noexcept;
// Why an answer that match_exchange calls a mismatch is not the request's, the first reason
// of: transaction id, unit, function code, then the PDU's byte count or echo.
std::string mismatch_reason(const AduParts& request, const AduParts& answer);

} // namespace iot::modbus
