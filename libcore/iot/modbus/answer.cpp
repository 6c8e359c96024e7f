#include "iot/modbus/answer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "iot/modbus/spec.hpp"

namespace iot::modbus {

namespace {

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t i) {
  return static_cast<std::uint16_t>((b[i] << 8) | b[i + 1]);
}

enum class Problem : std::uint8_t { none, empty, no_code, long_exception, function, byte_count, echo, repeat };

struct Verdict {
  AnswerMatch match = AnswerMatch::mismatch;
  Problem problem = Problem::none;
  std::size_t want = 0; // data bytes a read answer must carry
};

bool starts_with(std::span<const std::uint8_t> whole, std::span<const std::uint8_t> part) {
  return whole.size() >= part.size() && std::equal(part.begin(), part.end(), whole.begin());
}

Verdict judge(std::span<const std::uint8_t> req, std::span<const std::uint8_t> ans) noexcept {
  if (ans.empty() || req.empty()) return {AnswerMatch::mismatch, Problem::empty};
  const std::uint8_t fc = req[0];
  if (ans[0] == (fc | k_exception_bit)) {
    if (ans.size() < 2) return {AnswerMatch::mismatch, Problem::no_code};
    if (ans.size() > 2) return {AnswerMatch::mismatch, Problem::long_exception};
    return {AnswerMatch::exception};
  }
  if (ans[0] != fc) return {AnswerMatch::mismatch, Problem::function};
  switch (fc) {
  case 0x01: // §6.1-6.4: byte count, then the bits or registers asked for
  case 0x02:
  case 0x03:
  case 0x04: {
    if (req.size() != 5) return {AnswerMatch::mismatch, Problem::byte_count};
    const std::size_t count = get16(req, 3);
    const std::size_t want = fc <= 0x02 ? (count + 7) / 8 : count * 2;
    if (ans.size() == 2 + want && ans[1] == want) return {AnswerMatch::match};
    return {AnswerMatch::mismatch, Problem::byte_count, want};
  }
  case 0x17: { // §6.17: byte count of the read part
    if (req.size() < 5) return {AnswerMatch::mismatch, Problem::byte_count};
    const std::size_t want = std::size_t{get16(req, 3)} * 2;
    if (ans.size() == 2 + want && ans[1] == want) return {AnswerMatch::match};
    return {AnswerMatch::mismatch, Problem::byte_count, want};
  }
  case 0x05: // §6.5, 6.6, 6.16: the answer echoes the request
  case 0x06:
  case 0x16:
    if (ans.size() == req.size() && starts_with(req, ans)) return {AnswerMatch::match};
    return {AnswerMatch::mismatch, Problem::echo};
  case 0x0F: // §6.11, 6.12: address and quantity
  case 0x10:
    if (ans.size() == 5 && starts_with(req, ans)) return {AnswerMatch::match};
    return {AnswerMatch::mismatch, Problem::repeat};
  default: return {AnswerMatch::match}; // functions whose answer the request does not fix
  }
}

} // namespace

AnswerMatch match_answer(std::span<const std::uint8_t> req, std::span<const std::uint8_t> ans) noexcept {
  return judge(req, ans).match;
}

AnswerCheck check_answer(std::span<const std::uint8_t> req, std::span<const std::uint8_t> ans) {
  const Verdict v = judge(req, ans);
  AnswerCheck c;
  c.match = v.match;
  c.ok = v.match == AnswerMatch::match;
  if (v.match == AnswerMatch::exception) c.exception = ans[1];
  switch (v.problem) {
  case Problem::none: break;
  case Problem::empty: c.error = "empty answer"; break;
  case Problem::no_code: c.error = "exception answer without a code"; break;
  case Problem::long_exception: c.error = "exception answer longer than 2 bytes"; break;
  case Problem::function: c.error = fmt::format("answer has function code {}, expected {}", ans[0], req[0]); break;
  case Problem::byte_count:
    c.error = fmt::format("answer carries {} data bytes, expected {}", ans.size() >= 2 ? ans[1] : 0, v.want);
    break;
  case Problem::echo: c.error = "answer does not echo the request"; break;
  case Problem::repeat: c.error = "answer does not repeat address and quantity"; break;
  }
  return c;
}

AnswerMatch match_exchange(const AduParts& request, const AduParts& answer) noexcept {
  if (answer.unit != request.unit) return AnswerMatch::mismatch;
  if (request.tid && answer.tid && *request.tid != *answer.tid) return AnswerMatch::mismatch;
  return match_answer(request.pdu, answer.pdu);
}

std::string mismatch_reason(const AduParts& request, const AduParts& answer) {
  if (request.tid && answer.tid && *request.tid != *answer.tid)
    return fmt::format("answer with transaction id {}, expected {}", *answer.tid, *request.tid);
  if (answer.unit != request.unit) return fmt::format("answer from unit {}, expected {}", answer.unit, request.unit);
  if (!request.pdu.empty() && !answer.pdu.empty() && answer.pdu[0] != request.pdu[0] &&
      answer.pdu[0] != (request.pdu[0] | k_exception_bit))
    return fmt::format("answer with function code {}, expected {}", answer.pdu[0], request.pdu[0]);
  return "answer does not fit the request (byte count or echoed address)";
}

} // namespace iot::modbus
