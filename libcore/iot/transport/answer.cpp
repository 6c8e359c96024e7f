#include "iot/transport/answer.hpp"

#include <algorithm>

namespace iot::transport {

namespace {
std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t i) {
  return static_cast<std::uint16_t>((b[i] << 8) | b[i + 1]);
}
} // namespace

AnswerMatch match_answer(std::span<const std::uint8_t> req, std::span<const std::uint8_t> ans) noexcept {
  if (req.empty() || ans.empty()) return AnswerMatch::mismatch;
  const std::uint8_t fc = req[0];
  if (ans[0] == (fc | 0x80)) return ans.size() == 2 ? AnswerMatch::exception : AnswerMatch::mismatch;
  if (ans[0] != fc) return AnswerMatch::mismatch;
  switch (fc) {
  case 0x01: // §6.1-6.4: byte count, then the bits or registers asked for
  case 0x02:
  case 0x03:
  case 0x04: {
    if (req.size() != 5) return AnswerMatch::mismatch;
    const std::size_t count = get16(req, 3);
    const std::size_t want = fc <= 0x02 ? (count + 7) / 8 : count * 2;
    return ans.size() == 2 + want && ans[1] == want ? AnswerMatch::match : AnswerMatch::mismatch;
  }
  case 0x17: { // §6.17: byte count of the read part
    if (req.size() < 5) return AnswerMatch::mismatch;
    const std::size_t want = std::size_t{get16(req, 3)} * 2;
    return ans.size() == 2 + want && ans[1] == want ? AnswerMatch::match : AnswerMatch::mismatch;
  }
  case 0x05: // §6.5, 6.6, 6.16: the answer echoes the request
  case 0x06:
  case 0x16:
    return ans.size() == req.size() && std::equal(ans.begin(), ans.end(), req.begin()) ? AnswerMatch::match
                                                                                       : AnswerMatch::mismatch;
  case 0x0F: // §6.11, 6.12: address and quantity
  case 0x10:
    return ans.size() == 5 && req.size() >= 5 && std::equal(ans.begin(), ans.end(), req.begin())
               ? AnswerMatch::match
               : AnswerMatch::mismatch;
  default: return AnswerMatch::match; // functions whose answer the request does not fix
  }
}

} // namespace iot::transport
