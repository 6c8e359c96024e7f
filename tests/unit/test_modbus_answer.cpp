// The one request/response checker: what an answer must repeat of its request
// (Modbus Application Protocol V1.1b3 §6, §7), used by the client, the poller and the decoder.
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "iot/modbus/answer.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/modbus/pdu.hpp"

using namespace iot::modbus;

namespace {

Bytes H(std::string_view hex) {
  Bytes out;
  if (!parse_hex_bytes(hex, out)) throw std::invalid_argument(std::string(hex));
  return out;
}

AnswerMatch m(std::string_view req, std::string_view ans) { return match_answer(H(req), H(ans)); }

} // namespace

TEST_CASE("iot::modbus::check_answer: reads carry the byte count the quantity asks for (§6.1-6.4)") {
  // FC 01/02: ceil(count / 8) bytes of bits.
  CHECK(m("01 00 00 00 0A", "01 02 FF 03") == AnswerMatch::match);
  CHECK(m("02 00 00 00 08", "02 01 AA") == AnswerMatch::match);
  CHECK(m("01 00 00 00 0A", "01 01 FF") == AnswerMatch::mismatch);
  CHECK(m("01 00 00 00 0A", "01 02 FF") == AnswerMatch::mismatch); // byte count says 2, 1 comes
  // FC 03/04: two bytes per register.
  CHECK(m("03 00 00 00 02", "03 04 00 01 00 02") == AnswerMatch::match);
  CHECK(m("04 00 10 00 01", "04 02 12 34") == AnswerMatch::match);
  CHECK(m("03 00 00 00 02", "03 02 00 01") == AnswerMatch::mismatch);
  CHECK(m("03 00 00 00 02", "03 04 00 01 00") == AnswerMatch::mismatch);
  const AnswerCheck c = check_answer(H("03 00 00 00 02"), H("03 02 00 01"));
  CHECK_FALSE(c.ok);
  CHECK_FALSE(c.exception);
  CHECK(c.error == "answer carries 2 data bytes, expected 4");
  CHECK(check_answer(H("03 00 00 00 02"), H("03")).error == "answer carries 0 data bytes, expected 4");
  // A malformed read request fixes no answer.
  CHECK(m("03 00 00", "03 02 00 01") == AnswerMatch::mismatch);
}

TEST_CASE("iot::modbus::check_answer: FC 05, 06 and 16 echo the request (§6.5, 6.6, 6.16)") {
  CHECK(m("05 00 AC FF 00", "05 00 AC FF 00") == AnswerMatch::match);
  CHECK(m("05 00 AC FF 00", "05 00 AC 00 00") == AnswerMatch::mismatch);
  CHECK(m("06 00 01 00 03", "06 00 01 00 03") == AnswerMatch::match);
  CHECK(m("06 00 01 00 03", "06 00 02 00 03") == AnswerMatch::mismatch);
  CHECK(m("16 00 04 00 F2 00 25", "16 00 04 00 F2 00 25") == AnswerMatch::match);
  CHECK(m("16 00 04 00 F2 00 25", "16 00 04 00 F2") == AnswerMatch::mismatch);
  CHECK(check_answer(H("06 00 01 00 03"), H("06 00 01 00 04")).error == "answer does not echo the request");
}

TEST_CASE("iot::modbus::check_answer: FC 0F and 10 repeat address and quantity (§6.11, 6.12)") {
  CHECK(m("0F 00 13 00 0A 02 CD 01", "0F 00 13 00 0A") == AnswerMatch::match);
  CHECK(m("10 00 01 00 02 04 00 0A 01 02", "10 00 01 00 02") == AnswerMatch::match);
  CHECK(m("10 00 01 00 02 04 00 0A 01 02", "10 00 01 00 03") == AnswerMatch::mismatch);
  CHECK(m("10 00 01 00 02 04 00 0A 01 02", "10 00 01 00 02 04") == AnswerMatch::mismatch);
  CHECK(check_answer(H("10 00 01 00 02 04 00 0A 01 02"), H("10 00 02 00 02")).error ==
        "answer does not repeat address and quantity");
}

TEST_CASE("iot::modbus::check_answer: FC 17 carries the read part's byte count (§6.17)") {
  const std::string req = "17 00 03 00 02 00 0E 00 01 02 00 FF";
  CHECK(m(req, "17 04 00 FE 0A CD") == AnswerMatch::match);
  CHECK(m(req, "17 02 00 FE") == AnswerMatch::mismatch);
}

TEST_CASE("iot::modbus::check_answer: functions whose answer the request does not fix match on the code") {
  CHECK(m("08 00 00 A5 37", "08 00 00 A5 37") == AnswerMatch::match);
  CHECK(m("11", "11 03 01 FF 00") == AnswerMatch::match);
  CHECK(m("2B 0E 01 00", "2B 0E 01 01 00 00 00") == AnswerMatch::match);
  CHECK(m("41 01", "41 02 03") == AnswerMatch::match); // user-defined
}

TEST_CASE("iot::modbus::check_answer: exception answers (§7)") {
  const AnswerCheck c = check_answer(H("03 00 00 00 02"), H("83 02"));
  CHECK(c.match == AnswerMatch::exception);
  CHECK_FALSE(c.ok);
  CHECK(c.exception == 2);
  CHECK(c.error.empty());
  CHECK(m("10 00 01 00 02 04 00 0A 01 02", "90 04") == AnswerMatch::exception);
  // The exception form of another function, one without a code, one too long.
  CHECK(m("03 00 00 00 02", "84 02") == AnswerMatch::mismatch);
  CHECK(check_answer(H("03 00 00 00 02"), H("83")).error == "exception answer without a code");
  CHECK(m("03 00 00 00 02", "83 02 00") == AnswerMatch::mismatch);
}

TEST_CASE("iot::modbus::check_answer: another function, or nothing") {
  const AnswerCheck c = check_answer(H("03 00 00 00 02"), H("04 04 00 01 00 02"));
  CHECK(c.match == AnswerMatch::mismatch);
  CHECK(c.error == "answer has function code 4, expected 3");
  CHECK(check_answer(H("03 00 00 00 02"), {}).error == "empty answer");
  CHECK(m("03 00 00 00 02", "") == AnswerMatch::mismatch);
}

TEST_CASE("iot::modbus::match_exchange: unit and transaction id must be the request's") {
  const Bytes req = H("03 00 00 00 02");
  const Bytes ans = H("03 04 00 01 00 02");
  CHECK(match_exchange({1, 7, req}, {1, 7, ans}) == AnswerMatch::match);
  CHECK(match_exchange({1, std::nullopt, req}, {1, std::nullopt, ans}) == AnswerMatch::match);
  CHECK(match_exchange({1, 7, req}, {2, 7, ans}) == AnswerMatch::mismatch);
  CHECK(match_exchange({1, 7, req}, {1, 8, ans}) == AnswerMatch::mismatch);
  CHECK(match_exchange({1, 7, req}, {1, 7, H("83 02")}) == AnswerMatch::exception);

  CHECK(mismatch_reason({1, 7, req}, {1, 8, ans}) == "answer with transaction id 8, expected 7");
  CHECK(mismatch_reason({1, 7, req}, {2, 8, ans}) == "answer with transaction id 8, expected 7"); // tid first
  CHECK(mismatch_reason({1, std::nullopt, req}, {2, std::nullopt, ans}) == "answer from unit 2, expected 1");
  CHECK(mismatch_reason({1, std::nullopt, req}, {1, std::nullopt, H("04 02 00 01")}) ==
        "answer with function code 4, expected 3");
  CHECK(mismatch_reason({1, std::nullopt, req}, {1, std::nullopt, H("03 02 00 01")}) ==
        "answer does not fit the request (byte count or echoed address)");
}
