#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "iot/modbus/adu.hpp"
#include "iot/modbus/crc.hpp"
#include "iot/modbus/frame_record.hpp"

using namespace iot::modbus;

namespace {

Bytes H(std::string_view hex) {
  Bytes out;
  REQUIRE(parse_hex_bytes(hex, out));
  return out;
}

Bytes S(std::string_view text) { return Bytes(text.begin(), text.end()); }

} // namespace

TEST_CASE("iot::modbus::framing_name and parse_framing") {
  CHECK(framing_name(Framing::rtu) == "rtu");
  CHECK(framing_name(Framing::tcp) == "tcp");
  CHECK(framing_name(Framing::ascii) == "ascii");
  CHECK(framing_name(Framing::rtu_over_tcp) == "rtu-over-tcp");
  for (Framing f : {Framing::rtu, Framing::tcp, Framing::ascii, Framing::rtu_over_tcp})
    CHECK(parse_framing(framing_name(f)) == f);
  CHECK(parse_framing("rtu+tcp") == Framing::rtu_over_tcp);
  CHECK_FALSE(parse_framing("udp"));
}

TEST_CASE("iot::modbus RTU wrap and unwrap of the seed frames") {
  const Bytes req = wrap_rtu(1, H("03 00 00 00 04"));
  CHECK(req == H("01 03 00 00 00 04 44 09"));
  const Bytes resp = wrap_rtu(1, H("03 08 00 00 00 00 00 00 00 00"));
  CHECK(resp == H("01 03 08 00 00 00 00 00 00 00 00 95 D7"));
  const AduView v = unwrap_adu(req, Framing::rtu);
  CHECK(v.ok());
  CHECK(v.unit == std::uint8_t{1});
  CHECK(v.check_ok == true);
  CHECK(Bytes(v.pdu.begin(), v.pdu.end()) == H("03 00 00 00 04"));
  CHECK_FALSE(v.tid);
  Bytes bad = req;
  bad[7] ^= 1;
  const AduView b = unwrap_adu(bad, Framing::rtu);
  CHECK(b.error.empty());
  CHECK(b.check_ok == false);
  CHECK_FALSE(b.ok());
  CHECK(unwrap_adu(H("01 03 44"), Framing::rtu).error == "RTU frame shorter than 4 bytes");
  CHECK(unwrap_adu({}, Framing::rtu).error == "RTU frame shorter than 4 bytes");
  CHECK(unwrap_adu(req, Framing::rtu_over_tcp).framing == Framing::rtu_over_tcp);
  CHECK(wrap_adu(Framing::rtu_over_tcp, 1, H("03 00 00 00 04")) == req);
}

TEST_CASE("iot::modbus MBAP round trip") {
  const Bytes pdu = H("03 00 6B 00 03");
  const Bytes adu = wrap_tcp(0x1234, 0xFF, pdu);
  CHECK(adu == H("12 34 00 00 00 06 FF 03 00 6B 00 03"));
  CHECK(wrap_adu(Framing::tcp, 0xFF, pdu, 0x1234) == adu);
  const AduView v = unwrap_adu(adu, Framing::tcp);
  CHECK(v.ok());
  CHECK(v.tid == std::uint16_t{0x1234});
  CHECK(v.protocol_id == std::uint16_t{0});
  CHECK(v.unit == std::uint8_t{0xFF});
  CHECK_FALSE(v.check_ok);
  CHECK(Bytes(v.pdu.begin(), v.pdu.end()) == pdu);
  CHECK(unwrap_adu(H("12 34 00 01 00 06 FF 03 00 6B 00 03"), Framing::tcp).error == "MBAP protocol id is not 0");
  CHECK(unwrap_adu(H("12 34 00 00 00 07 FF 03 00 6B 00 03"), Framing::tcp).error ==
        "MBAP length does not match the frame");
  CHECK(unwrap_adu(H("12 34 00 00 00"), Framing::tcp).error == "TCP frame shorter than the MBAP header");
  CHECK(unwrap_adu(H("12 34 00 00 00 01 FF"), Framing::tcp).error == "TCP frame without a PDU");
  // Appending reuses one buffer for several frames.
  Bytes buf;
  append_tcp(buf, 1, 1, pdu);
  append_tcp(buf, 2, 1, pdu);
  CHECK(buf.size() == 24);
}

TEST_CASE("iot::modbus ASCII round trip with LRC") {
  const Bytes pdu = H("03 00 00 00 04");
  const Bytes adu = wrap_ascii(1, pdu);
  CHECK(adu == S(":010300000004F8\r\n"));
  AsciiScratch scratch;
  const AduView v = unwrap_adu(adu, Framing::ascii, &scratch);
  CHECK(v.ok());
  CHECK(v.unit == std::uint8_t{1});
  CHECK(v.check_ok == true);
  CHECK(Bytes(v.pdu.begin(), v.pdu.end()) == pdu);
  // Lower-case hex and a missing CR LF are accepted.
  const AduView lower = unwrap_adu(S(":010300000004f8"), Framing::ascii, &scratch);
  CHECK(lower.ok());
  const AduView wrong = unwrap_adu(S(":010300000004F9\r\n"), Framing::ascii, &scratch);
  CHECK(wrong.error.empty());
  CHECK(wrong.check_ok == false);
  CHECK(unwrap_adu(S("010300000004F8\r\n"), Framing::ascii, &scratch).error == "ASCII frame does not start with ':'");
  CHECK(unwrap_adu(S(":01030000004F8\r\n"), Framing::ascii, &scratch).error ==
        "ASCII frame has an odd number of hex digits");
  CHECK(unwrap_adu(S(":0103000G0004F8\r\n"), Framing::ascii, &scratch).error ==
        "ASCII frame has a character that is not a hex digit");
  CHECK(unwrap_adu(S(":0103\r\n"), Framing::ascii, &scratch).error == "ASCII frame too short");
  CHECK(unwrap_adu(adu, Framing::ascii, nullptr).error == "ASCII unwrap needs a scratch buffer");
  // The longest PDU fits: 253 bytes -> 1 + 2*255 + 2 = 513 characters.
  Bytes longest(253, 0x11);
  longest[0] = 0x08;
  const Bytes big = wrap_ascii(0x11, longest);
  CHECK(big.size() == k_max_ascii_adu_size);
  CHECK(unwrap_adu(big, Framing::ascii, &scratch).ok());
  Bytes too_big = big;
  too_big.insert(too_big.begin() + 1, {'0', '0'});
  CHECK(unwrap_adu(too_big, Framing::ascii, &scratch).error == "ASCII frame longer than 513 characters");
}

TEST_CASE("iot::modbus::detect_framing") {
  const Bytes pdu = H("03 00 6B 00 03");
  CHECK(detect_framing(wrap_rtu(17, pdu)) == Framing::rtu);
  CHECK(detect_framing(wrap_tcp(1, 17, pdu)) == Framing::tcp);
  CHECK(detect_framing(wrap_ascii(17, pdu)) == Framing::ascii);
  CHECK(detect_framing(S(":110300")) == std::nullopt);
  CHECK(detect_framing(H("01 03 00 00 00 04 44 08")) == std::nullopt); // bad CRC
  CHECK(detect_framing({}) == std::nullopt);
  CHECK(detect_framing(H("01 03 08 00 00 00 00 00 00 00 00 95 D7")) == Framing::rtu);
  // Every response of the spec examples, in each framing.
  const Bytes pdus[] = {H("01 03 CD 6B 05"), H("03 06 02 2B 00 00 00 64"),
                        H("0F 00 13 00 0A"), H("83 02"),
                        H("2B 0E 01 00"),    H("17 0C 00 FE 0A CD 00 01 00 03 00 0D 00 FF")};
  for (const Bytes& p : pdus) {
    CHECK(detect_framing(wrap_rtu(1, p)) == Framing::rtu);
    CHECK(detect_framing(wrap_tcp(7, 1, p)) == Framing::tcp);
    CHECK(detect_framing(wrap_ascii(1, p)) == Framing::ascii);
  }
  // decode_frame falls back to RTU and reports the CRC.
  DecodedFrame f;
  const Bytes bad = H("01 03 00 00 00 04 44 08");
  decode_frame(bad, std::nullopt, Direction::unknown, f);
  CHECK(f.adu.framing == Framing::rtu);
  CHECK(f.adu.check_ok == false);
  CHECK(f.pdu.ok());
}

TEST_CASE("iot::modbus::rtu_frame_length for requests") {
  auto len = [](std::string_view hex, Direction dir = Direction::request) { return rtu_frame_length(H(hex), dir); };
  CHECK(len("").status == RtuLength::need_more);
  CHECK(len("01").status == RtuLength::need_more);
  CHECK(len("01 03").status == RtuLength::known);
  CHECK(len("01 03").length == 8);
  CHECK(len("01 05").length == 8);
  CHECK(len("01 08").length == 8);
  CHECK(len("01 07").length == 4);
  CHECK(len("01 11").length == 4);
  CHECK(len("01 16").length == 10);
  CHECK(len("01 18").length == 6);
  CHECK(len("01 10 00 01 00").status == RtuLength::need_more);
  CHECK(len("01 10 00 01 00").length == 7);
  CHECK(len("01 10 00 01 00 02 04").length == 13);
  CHECK(len("01 0F 00 13 00 0A 02").length == 11);
  CHECK(len("01 17 00 03 00 06 00 0E 00 03 06").length == 19);
  CHECK(len("01 17 00 03 00 06 00 0E 00").status == RtuLength::need_more);
  CHECK(len("01 2B 0E").length == 7);
  CHECK(len("01 2B 0D").status == RtuLength::unknown);
  CHECK(len("01 41").status == RtuLength::unknown);
  CHECK(len("01 83").status == RtuLength::unknown);
  CHECK(len("01 14 07").length == 12);
}

TEST_CASE("iot::modbus::rtu_frame_length for responses") {
  auto len = [](std::string_view hex) { return rtu_frame_length(H(hex), Direction::response); };
  CHECK(len("01 03").status == RtuLength::need_more);
  CHECK(len("01 03").length == 3);
  CHECK(len("01 03 08").length == 13);
  CHECK(len("01 01 03").length == 8);
  CHECK(len("01 83").length == 5);
  CHECK(len("01 AB").length == 5);
  CHECK(len("01 05").length == 8);
  CHECK(len("01 10").length == 8);
  CHECK(len("01 0F").length == 8);
  CHECK(len("01 07").length == 5);
  CHECK(len("01 0B").length == 8);
  CHECK(len("01 16").length == 10);
  CHECK(len("01 11 05").length == 10);
  CHECK(len("01 17 0C").length == 17);
  CHECK(len("01 18 00").status == RtuLength::need_more);
  CHECK(len("01 18 00 06").length == 12);
  // 2B/0E: the objects are walked; each needs its length byte.
  CHECK(len("01 2B 0E 01 01 00 00").status == RtuLength::need_more);
  CHECK(len("01 2B 0E 01 01 00 00 02").length == 10);
  CHECK(len("01 2B 0E 01 01 00 00 02 00 04 41 63").length == 16);
  CHECK(len("01 2B 0E 01 01 00 00 02 00 04 41 63 6D 65 01 02").length == 20);
  const Bytes devid = wrap_rtu(1, H("2B 0E 01 01 00 00 02 00 04 41 63 6D 65 01 02 50 31"));
  CHECK(rtu_frame_length(devid, Direction::response).length == devid.size());
  CHECK(rtu_frame_length(devid, Direction::unknown).length == devid.size());
  // A byte count that would exceed 256 bytes cannot be a frame.
  CHECK(len("01 18 01 00").status == RtuLength::unknown);
}

TEST_CASE("iot::modbus::rtu_frame_length without a direction") {
  const Bytes req = H("01 03 00 00 00 04 44 09");
  const Bytes resp = H("01 03 08 00 00 00 00 00 00 00 00 95 D7");
  CHECK(rtu_frame_length(req, Direction::unknown).length == 8);
  CHECK(rtu_frame_length(resp, Direction::unknown).length == 13);
  // Too few bytes to check a CRC: the shorter candidate is needed first.
  const RtuLength partial = rtu_frame_length(std::span(resp).first(5), Direction::unknown);
  CHECK(partial.status == RtuLength::need_more);
  CHECK(partial.length == 8);
  // Same length both ways.
  CHECK(rtu_frame_length(H("01 05 00 AC FF 00"), Direction::unknown).length == 8);
  CHECK(rtu_frame_length(H("01 83 02"), Direction::unknown).length == 5);
  // Write multiple: 8-byte response vs longer request.
  const Bytes wreq = wrap_rtu(1, H("10 00 01 00 02 04 00 0A 01 02"));
  const Bytes wresp = wrap_rtu(1, H("10 00 01 00 02"));
  CHECK(rtu_frame_length(wreq, Direction::unknown).length == wreq.size());
  CHECK(rtu_frame_length(wresp, Direction::unknown).length == wresp.size());
  // No CRC matches at all.
  CHECK(rtu_frame_length(H("01 03 08 00 00 00 00 00 00 00 00 95 D6"), Direction::unknown).status == RtuLength::unknown);
}

TEST_CASE("iot::modbus::tcp_frame_length and ascii_frame_length split streams") {
  const Bytes tcp = wrap_tcp(9, 1, H("03 00 6B 00 03"));
  Bytes stream = tcp;
  stream.insert(stream.end(), tcp.begin(), tcp.end());
  CHECK(tcp_frame_length(std::span(stream).first(5)).status == RtuLength::need_more);
  const RtuLength t = tcp_frame_length(stream);
  CHECK(t.status == RtuLength::known);
  CHECK(t.length == tcp.size());
  CHECK(tcp_frame_length(H("00 01 00 05 00 06")).status == RtuLength::unknown); // protocol id 5
  CHECK(tcp_frame_length(H("00 01 00 00 00 00")).status == RtuLength::unknown);
  CHECK(tcp_frame_length(H("00 01 00 00 01 00")).status == RtuLength::unknown); // 262 bytes
  const Bytes ascii = wrap_ascii(1, H("03 00 6B 00 03"));
  Bytes two = ascii;
  two.insert(two.end(), ascii.begin(), ascii.end());
  const RtuLength a = ascii_frame_length(two);
  CHECK(a.status == RtuLength::known);
  CHECK(a.length == ascii.size());
  CHECK(ascii_frame_length(std::span(ascii).first(5)).status == RtuLength::need_more);
  CHECK(ascii_frame_length(S("01")).status == RtuLength::unknown);
  CHECK(ascii_frame_length(Bytes(600, '0')).status == RtuLength::unknown);
  Bytes runaway(600, '0');
  runaway[0] = ':';
  CHECK(ascii_frame_length(runaway).status == RtuLength::unknown);
}

TEST_CASE("iot::modbus::unwrap_adu and detect_framing never read out of bounds") {
  std::mt19937 rng(3);
  AsciiScratch scratch;
  for (int round = 0; round < 20000; ++round) {
    Bytes b(rng() % 80);
    for (auto& x : b)
      x = static_cast<std::uint8_t>(rng());
    if (!b.empty() && round % 3 == 0) b[0] = ':';
    if (round % 5 == 0)
      for (auto& x : b)
        x = static_cast<std::uint8_t>("0123456789ABCDEFabcdef:\r\n"[rng() % 25]);
    (void)detect_framing(b);
    for (Framing f : {Framing::rtu, Framing::tcp, Framing::ascii}) {
      const AduView v = unwrap_adu(b, f, &scratch);
      (void)v;
    }
    for (Direction d : {Direction::request, Direction::response, Direction::unknown}) {
      const RtuLength l = rtu_frame_length(b, d);
      CHECK(l.length <= k_max_rtu_adu_size);
    }
    CHECK(tcp_frame_length(b).length <= k_max_tcp_adu_size);
    CHECK(ascii_frame_length(b).length <= k_max_ascii_adu_size);
  }
}

TEST_CASE("iot::modbus::FramePairer pairs responses with their requests") {
  FramePairer pairer;
  DecodedFrame f;
  Bytes bytes;
  auto next = [&](const Bytes& b) {
    bytes = b;
    decode_frame(bytes, std::nullopt, Direction::unknown, f);
    return pairer.pair(f);
  };
  CHECK_FALSE(next(wrap_rtu(5, H("01 00 13 00 13"))));
  CHECK(f.pdu.direction == Direction::request);
  CHECK(next(wrap_rtu(5, H("01 03 CD 6B 05"))));
  CHECK(f.pdu.direction == Direction::response);
  CHECK(f.pdu.addr == std::uint16_t{19});
  CHECK(f.pdu.count == std::uint16_t{19});
  CHECK(f.pdu.value_count == 19);
  // Echoes: request, then response.
  CHECK_FALSE(next(wrap_rtu(5, H("06 00 01 00 03"))));
  CHECK(f.pdu.direction == Direction::request);
  CHECK(next(wrap_rtu(5, H("06 00 01 00 03"))));
  CHECK(f.pdu.direction == Direction::response);
  // An exception answer takes addr/count from the request.
  CHECK_FALSE(next(wrap_rtu(5, H("03 00 6B 00 03"))));
  CHECK(next(wrap_rtu(5, H("83 02"))));
  CHECK(f.pdu.addr == std::uint16_t{107});
  CHECK(f.pdu.count == std::uint16_t{3});
  // Another unit does not pair; TCP needs the same transaction id.
  CHECK_FALSE(next(wrap_rtu(5, H("03 00 6B 00 03"))));
  CHECK_FALSE(next(wrap_rtu(6, H("03 06 02 2B 00 00 00 64"))));
  CHECK_FALSE(next(wrap_tcp(1, 1, H("03 00 6B 00 03"))));
  CHECK_FALSE(next(wrap_tcp(2, 1, H("03 06 02 2B 00 00 00 64"))));
  CHECK(next(wrap_tcp(1, 1, H("03 06 02 2B 00 00 00 64"))));
  CHECK(f.pdu.addr == std::uint16_t{107});
}
