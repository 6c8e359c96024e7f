#include <array>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "iot/core/error.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/modbus/spec.hpp"

using namespace iot::modbus;

namespace {

Bytes H(std::string_view hex) {
  Bytes out;
  REQUIRE(parse_hex_bytes(hex, out));
  return out;
}

} // namespace

TEST_CASE("iot::modbus::fc_name names every function code") {
  const std::pair<std::uint8_t, std::string_view> names[] = {
      {0x01, "read_coils"},
      {0x02, "read_discrete_inputs"},
      {0x03, "read_holding_registers"},
      {0x04, "read_input_registers"},
      {0x05, "write_single_coil"},
      {0x06, "write_single_register"},
      {0x07, "read_exception_status"},
      {0x08, "diagnostics"},
      {0x0B, "get_comm_event_counter"},
      {0x0C, "get_comm_event_log"},
      {0x0F, "write_multiple_coils"},
      {0x10, "write_multiple_registers"},
      {0x11, "report_server_id"},
      {0x14, "read_file_record"},
      {0x15, "write_file_record"},
      {0x16, "mask_write_register"},
      {0x17, "read_write_multiple_registers"},
      {0x18, "read_fifo_queue"},
      {0x2B, "read_device_identification"},
  };
  for (auto [fc, name] : names) {
    INFO(int(fc));
    CHECK(fc_name(fc) == name);
    CHECK(fc_name(static_cast<std::uint8_t>(fc | 0x80)) == name);
    CHECK(fc_known(fc));
  }
  CHECK(fc_name(0x00) == "unknown");
  CHECK(fc_name(0x41) == "unknown");
  CHECK_FALSE(fc_known(0x64));
  CHECK(static_cast<int>(FunctionCode::read_device_identification) == 0x2B);
}

TEST_CASE("iot::modbus::exception_name names every exception code") {
  const std::pair<std::uint8_t, std::string_view> names[] = {
      {0x01, "illegal_function"},
      {0x02, "illegal_data_address"},
      {0x03, "illegal_data_value"},
      {0x04, "server_device_failure"},
      {0x05, "acknowledge"},
      {0x06, "server_device_busy"},
      {0x07, "negative_acknowledge"},
      {0x08, "memory_parity_error"},
      {0x0A, "gateway_path_unavailable"},
      {0x0B, "gateway_target_failed_to_respond"},
  };
  for (auto [code, name] : names) {
    INFO(int(code));
    CHECK(exception_name(code) == name);
    // Every code decodes from an exception response and encodes back.
    const Bytes pdu = encode_exception(0x03, code);
    CHECK(pdu == Bytes{0x83, code});
    const DecodedPdu d = decode_pdu(pdu, Direction::unknown);
    CHECK(d.ok());
    CHECK(d.fc == 0x03);
    CHECK(d.direction == Direction::response);
    REQUIRE(d.exception);
    CHECK(*d.exception == code);
  }
  CHECK(exception_name(0x00) == "unknown");
  CHECK(exception_name(0x09) == "unknown");
  CHECK(exception_name(0x0C) == "unknown");
  CHECK(encode_exception(0x2B, ExceptionCode::gateway_target_failed_to_respond) == Bytes{0xAB, 0x0B});
  // Application Protocol V1.1b3 §7 example: read coils answered with illegal data address.
  CHECK(decode_pdu(H("81 02"), Direction::response).exception == std::uint8_t{2});
  CHECK(decode_pdu(H("81 02 00"), Direction::response).error == "exception response must be 2 bytes");
  CHECK(decode_pdu(H("81"), Direction::response).error == "exception response too short");
}

TEST_CASE("iot::modbus limits cite the specification values") {
  CHECK(k_max_pdu_size == 253);
  CHECK(k_max_rtu_adu_size == 256);
  CHECK(k_max_tcp_adu_size == 260);
  CHECK(k_max_read_registers == 125);
  CHECK(k_max_read_bits == 2000);
  CHECK(k_max_write_registers == 123);
  CHECK(k_max_write_coils == 1968);
  CHECK(k_max_rw_write_registers == 121);
  CHECK(k_max_rw_read_registers == 125);
  CHECK(t35_us(9600) == 4011);
  CHECK(t15_us(9600) == 1719);
  CHECK(t35_us(19200) == 2006);
  CHECK(t35_us(38400) == 1750);
  CHECK(t15_us(115200) == 750);
}

TEST_CASE("iot::modbus::decode_pdu FC 01 read coils (Application Protocol §6.1 example)") {
  const Bytes req = H("01 00 13 00 13");
  CHECK(encode_read_request(0x01, 19, 19) == req);
  DecodedPdu d = decode_pdu(req, Direction::unknown);
  CHECK(d.ok());
  CHECK(d.direction == Direction::request);
  CHECK(d.addr == std::uint16_t{19});
  CHECK(d.count == std::uint16_t{19});

  const Bytes resp = H("01 03 CD 6B 05");
  // Coils 27..20 = CD, 35..28 = 6B, 38..36 = 101.
  const std::vector<bool> coils{1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1};
  CHECK(encode_read_bits_response(0x01, coils) == resp);
  DecodedPdu r = decode_pdu(resp, Direction::response);
  CHECK(r.ok());
  CHECK(r.byte_count == std::uint16_t{3});
  CHECK(r.value_count == 24);
  pair_with_request(r, d);
  CHECK(r.addr == std::uint16_t{19});
  CHECK(r.count == std::uint16_t{19});
  CHECK(r.bits() == coils);
  // Without a direction, 5 bytes with byte count 3 fit both layouts: this one is no valid request
  // (quantity 0x6B05 > 2000), so it is a response...
  CHECK(decode_pdu(resp, Direction::unknown).direction == Direction::response);
  // ...while a valid request wins.
  CHECK(decode_pdu(H("01 03 00 00 10"), Direction::unknown).direction == Direction::request);
  CHECK(decode_pdu(H("01 02 CD 6B"), Direction::unknown).direction == Direction::response);
}

TEST_CASE("iot::modbus::decode_pdu FC 02 read discrete inputs (§6.2 example)") {
  const Bytes req = H("02 00 C4 00 16");
  CHECK(encode_read_request(0x02, 196, 22) == req);
  const DecodedPdu d = decode_pdu(req, Direction::request);
  CHECK(d.ok());
  CHECK(*d.addr == 196);
  CHECK(*d.count == 22);
  const Bytes resp = H("02 03 AC DB 35");
  DecodedPdu r = decode_pdu(resp, Direction::response);
  REQUIRE(r.ok());
  pair_with_request(r, d);
  REQUIRE(r.value_count == 22);
  const std::vector<bool> bits = r.bits();
  CHECK(encode_read_bits_response(0x02, bits) == resp);
  CHECK(bits[0] == false); // 0xAC = 1010 1100, LSB first
  CHECK(bits[2] == true);
  CHECK(bits[21] == true); // 0x35 = 0011 0101: inputs 216..213 = 1 0 1 0 1 1
}

TEST_CASE("iot::modbus::decode_pdu FC 03 read holding registers (§6.3 example)") {
  const Bytes req = H("03 00 6B 00 03");
  CHECK(encode_read_request(0x03, 107, 3) == req);
  const DecodedPdu d = decode_pdu(req, Direction::unknown);
  CHECK(d.ok());
  CHECK(d.direction == Direction::request);
  CHECK(*d.addr == 107);
  CHECK(*d.count == 3);
  CHECK(expected_response_pdu_length(req) == std::size_t{8});

  const Bytes resp = H("03 06 02 2B 00 00 00 64");
  const std::array<std::uint16_t, 3> words{0x022B, 0x0000, 0x0064};
  CHECK(encode_read_registers_response(0x03, words) == resp);
  DecodedPdu r = decode_pdu(resp, Direction::unknown);
  CHECK(r.ok());
  CHECK(r.direction == Direction::response);
  CHECK(r.byte_count == std::uint16_t{6});
  CHECK(r.words() == std::vector<std::uint16_t>{555, 0, 100});
  CHECK(r.value_kind == ValueKind::registers);
  pair_with_request(r, d);
  CHECK(*r.addr == 107);
  CHECK(*r.count == 3);
}

TEST_CASE("iot::modbus::decode_pdu FC 04 read input registers (§6.4 example)") {
  CHECK(encode_read_request(0x04, 8, 1) == H("04 00 08 00 01"));
  const Bytes r_bytes = H("04 02 00 0A");
  const DecodedPdu r = decode_pdu(r_bytes, Direction::unknown);
  CHECK(r.ok());
  CHECK(r.direction == Direction::response);
  CHECK(r.words() == std::vector<std::uint16_t>{10});
}

TEST_CASE("iot::modbus::decode_pdu FC 05 write single coil (§6.5 example)") {
  const Bytes pdu = H("05 00 AC FF 00");
  CHECK(encode_write_single_coil(172, true) == pdu);
  CHECK(encode_write_single_coil(172, false) == H("05 00 AC 00 00"));
  const DecodedPdu d = decode_pdu(pdu, Direction::unknown);
  CHECK(d.ok());
  CHECK(d.direction == Direction::unknown); // request and response are the same bytes
  CHECK(*d.addr == 172);
  CHECK(d.bits() == std::vector<bool>{true});
  CHECK(decode_pdu(H("05 00 AC 00 00"), Direction::request).bits() == std::vector<bool>{false});
  CHECK(decode_pdu(H("05 00 AC 12 34"), Direction::request).error == "coil value must be 0xFF00 or 0x0000");
  CHECK(decode_pdu(H("05 00 AC 00 FF"), Direction::request).error == "coil value must be 0xFF00 or 0x0000");
  CHECK(expected_response_pdu_length(pdu) == std::size_t{5});
}

TEST_CASE("iot::modbus::decode_pdu FC 06 write single register (§6.6 example)") {
  const Bytes pdu = H("06 00 01 00 03");
  CHECK(encode_write_single_register(1, 3) == pdu);
  const DecodedPdu d = decode_pdu(pdu, Direction::request);
  CHECK(d.ok());
  CHECK(*d.addr == 1);
  CHECK(d.words() == std::vector<std::uint16_t>{3});
  CHECK(decode_pdu(H("06 00 01 00"), Direction::request).error == "PDU too short");
}

TEST_CASE("iot::modbus::decode_pdu FC 08 diagnostics (§6.8 return query data)") {
  const std::array<std::uint8_t, 2> data{0xA5, 0x37};
  const Bytes pdu = encode_diagnostics(0x0000, data);
  CHECK(pdu == H("08 00 00 A5 37"));
  const DecodedPdu d = decode_pdu(pdu, Direction::unknown);
  CHECK(d.ok());
  CHECK(d.sub_function == std::uint16_t{0});
  CHECK(Bytes(d.data.begin(), d.data.end()) == Bytes{0xA5, 0x37});
  CHECK(expected_response_pdu_length(pdu) == std::size_t{5});
}

TEST_CASE("iot::modbus::decode_pdu FC 0F write multiple coils (§6.11 example)") {
  const Bytes req = H("0F 00 13 00 0A 02 CD 01");
  const std::vector<bool> coils{1, 0, 1, 1, 0, 0, 1, 1, 1, 0};
  CHECK(encode_write_multiple_coils(19, coils) == req);
  const DecodedPdu d = decode_pdu(req, Direction::unknown);
  CHECK(d.ok());
  CHECK(d.direction == Direction::request);
  CHECK(*d.addr == 19);
  CHECK(*d.count == 10);
  CHECK(d.bits() == coils);
  const Bytes r_bytes = H("0F 00 13 00 0A");
  const DecodedPdu r = decode_pdu(r_bytes, Direction::unknown);
  CHECK(r.ok());
  CHECK(r.direction == Direction::response);
  CHECK(encode_write_multiple_response(0x0F, 19, 10) == H("0F 00 13 00 0A"));
  CHECK(decode_pdu(H("0F 00 13 00 0A 03 CD 01 00"), Direction::request).error == "byte count does not match quantity");
  CHECK(decode_pdu(H("0F 00 13 00 0A 02 CD"), Direction::request).error == "byte count does not match length");
  CHECK(expected_response_pdu_length(req) == std::size_t{5});
}

TEST_CASE("iot::modbus::decode_pdu FC 10 write multiple registers (§6.12 example)") {
  const Bytes req = H("10 00 01 00 02 04 00 0A 01 02");
  const std::array<std::uint16_t, 2> words{0x000A, 0x0102};
  CHECK(encode_write_multiple_registers(1, words) == req);
  const DecodedPdu d = decode_pdu(req, Direction::unknown);
  CHECK(d.ok());
  CHECK(d.direction == Direction::request);
  CHECK(d.words() == std::vector<std::uint16_t>{10, 258});
  CHECK(d.byte_count == std::uint16_t{4});
  const Bytes r_bytes = H("10 00 01 00 02");
  const DecodedPdu r = decode_pdu(r_bytes, Direction::unknown);
  CHECK(r.ok());
  CHECK(r.direction == Direction::response);
  CHECK(*r.count == 2);
  CHECK(decode_pdu(H("10 00 01 00 02 03 00 0A 01"), Direction::request).error == "byte count does not match quantity");
}

TEST_CASE("iot::modbus::decode_pdu FC 11 report server id") {
  CHECK(encode_report_server_id_request() == Bytes{0x11});
  CHECK(decode_pdu(Bytes{0x11}, Direction::unknown).direction == Direction::request);
  const std::array<std::uint8_t, 1> id{0x2A};
  const std::string extra = "v1.2";
  const Bytes resp = encode_report_server_id_response(
      id, true, std::span(reinterpret_cast<const std::uint8_t*>(extra.data()), extra.size()));
  CHECK(resp == H("11 06 2A FF 76 31 2E 32"));
  const DecodedPdu d = decode_pdu(resp, Direction::unknown);
  CHECK(d.ok());
  CHECK(d.direction == Direction::response);
  CHECK(d.byte_count == std::uint16_t{6});
  CHECK(d.run_indicator == true);
  CHECK(d.server_id.size() == 6);
  CHECK(decode_pdu(H("11 07 2A FF"), Direction::response).error == "byte count does not match length");
}

TEST_CASE("iot::modbus::decode_pdu FC 14/15 file records (§6.14, §6.15 examples)") {
  const Bytes rreq = H("14 0E 06 00 04 00 01 00 02 06 00 03 00 09 00 02");
  const DecodedPdu q = decode_pdu(rreq, Direction::unknown);
  CHECK(q.ok());
  CHECK(q.direction == Direction::request);
  CHECK(q.byte_count == std::uint16_t{14});
  CHECK(q.data.size() == 14);
  const Bytes rresp = H("14 0C 05 06 0D FE 00 20 05 06 33 CD 00 40");
  const DecodedPdu r = decode_pdu(rresp, Direction::unknown);
  CHECK(r.ok());
  CHECK(r.direction == Direction::response);
  const Bytes w = H("15 0D 06 00 04 00 07 00 03 06 AF 04 BE 10 0D");
  const DecodedPdu d = decode_pdu(w, Direction::unknown);
  CHECK(d.ok());
  CHECK(d.direction == Direction::unknown); // the response echoes the request
  CHECK(decode_pdu(H("15 0D 06 00 04 00 07 00 04 06 AF 04 BE 10 0D"), Direction::request).error ==
        "malformed file sub-records");
  CHECK(decode_pdu(H("14 07 05 00 04 00 01 00 02"), Direction::request).error == "malformed file sub-records");
  CHECK(decode_pdu(rresp, Direction::request).error == "malformed file sub-records");
}

TEST_CASE("iot::modbus::decode_pdu FC 16 mask write register (§6.16 example)") {
  const Bytes pdu = H("16 00 04 00 F2 00 25");
  CHECK(encode_mask_write_register(4, 0x00F2, 0x0025) == pdu);
  const DecodedPdu d = decode_pdu(pdu, Direction::unknown);
  CHECK(d.ok());
  CHECK(*d.addr == 4);
  CHECK(d.and_mask == std::uint16_t{0x00F2});
  CHECK(d.or_mask == std::uint16_t{0x0025});
  CHECK(expected_response_pdu_length(pdu) == std::size_t{7});
}

TEST_CASE("iot::modbus::decode_pdu FC 17 read/write multiple registers (§6.17 example)") {
  const Bytes req = H("17 00 03 00 06 00 0E 00 03 06 00 FF 00 FF 00 FF");
  const std::array<std::uint16_t, 3> w{0x00FF, 0x00FF, 0x00FF};
  CHECK(encode_read_write_registers(3, 6, 14, w) == req);
  const DecodedPdu d = decode_pdu(req, Direction::unknown);
  CHECK(d.ok());
  CHECK(d.direction == Direction::request);
  CHECK(*d.addr == 3);
  CHECK(*d.count == 6);
  CHECK(d.write_addr == std::uint16_t{14});
  CHECK(d.write_count == std::uint16_t{3});
  CHECK(d.write_words() == std::vector<std::uint16_t>{255, 255, 255});
  CHECK(expected_response_pdu_length(req) == std::size_t{14});
  const Bytes resp = H("17 0C 00 FE 0A CD 00 01 00 03 00 0D 00 FF");
  DecodedPdu r = decode_pdu(resp, Direction::unknown);
  CHECK(r.ok());
  CHECK(r.direction == Direction::response);
  CHECK(r.words() == std::vector<std::uint16_t>{0x00FE, 0x0ACD, 0x0001, 0x0003, 0x000D, 0x00FF});
  pair_with_request(r, d);
  CHECK(*r.addr == 3);
  const std::array<std::uint16_t, 122> too_many{};
  CHECK_THROWS_AS(encode_read_write_registers(0, 1, 0, too_many), iot::Error);
  CHECK(decode_pdu(H("17 00 03 00 7E 00 0E 00 01 02 00 FF"), Direction::request).error ==
        "quantity out of range 1-125");
  CHECK(decode_pdu(H("17 00 03 00 06 00 0E 00 7A 02 00 FF"), Direction::request).error ==
        "write quantity out of range 1-121");
}

TEST_CASE("iot::modbus::decode_pdu FC 2B/0E read device identification with paging") {
  const Bytes req = H("2B 0E 01 00");
  CHECK(encode_device_id_request(1, 0) == req);
  const DecodedPdu q = decode_pdu(req, Direction::unknown);
  CHECK(q.ok());
  CHECK(q.direction == Direction::request);
  CHECK(q.mei_type == std::uint8_t{0x0E});
  CHECK(q.read_code == std::uint8_t{1});
  CHECK(q.object_id == std::uint8_t{0});

  const std::array<DeviceIdObject, 3> basic{
      {{0x00, "Company identification"}, {0x01, "Product code XX"}, {0x02, "V2.11"}}};
  const Bytes resp = serve_device_id_request(1, 0, 0x01, basic);
  const DecodedPdu d = decode_pdu(resp, Direction::unknown);
  REQUIRE(d.ok());
  CHECK(d.direction == Direction::response);
  CHECK(d.conformity == std::uint8_t{1});
  CHECK(d.more_follows == false);
  CHECK(d.object_count == 3);
  std::vector<std::pair<int, std::string>> got;
  for (DeviceIdObject o : d.objects())
    got.emplace_back(o.id, std::string(o.value));
  CHECK(got ==
        std::vector<std::pair<int, std::string>>{{0, "Company identification"}, {1, "Product code XX"}, {2, "V2.11"}});

  // Objects that do not fit one PDU are paged: more follows, next object id.
  const std::string big(150, 'x');
  const std::array<DeviceIdObject, 5> many{{{0x00, "Acme"}, {0x01, "P1"}, {0x02, "1.0"}, {0x80, big}, {0x81, big}}};
  const DecodedPdu p1 = decode_pdu(serve_device_id_request(3, 0, 0x83, many), Direction::response);
  REQUIRE(p1.ok());
  CHECK(p1.more_follows == true);
  CHECK(p1.next_object == std::uint8_t{0x81});
  CHECK(p1.object_count == 4);
  const Bytes page2 = serve_device_id_request(3, *p1.next_object, 0x83, many);
  const DecodedPdu p2 = decode_pdu(page2, Direction::response);
  REQUIRE(p2.ok());
  CHECK(p2.more_follows == false);
  CHECK(p2.object_count == 1);
  CHECK((*p2.objects().begin()).id == 0x81);
  // Individual access to a missing object: exception 02; a bad read code: exception 03.
  CHECK(serve_device_id_request(4, 0x05, 0x83, many) == Bytes{0xAB, 0x02});
  CHECK(serve_device_id_request(7, 0x00, 0x83, many) == Bytes{0xAB, 0x03});
  CHECK(decode_pdu(H("2B 0E 01 01 00 00 02 00 02 41"), Direction::response).error == "object list runs past the end");
  CHECK(decode_pdu(H("2B 0E 01 01 07 00 00"), Direction::response).error == "more follows must be 0x00 or 0xFF");
  CHECK(decode_pdu(H("2B 0E 05 00"), Direction::request).error == "read device id code must be 1-4");
}

TEST_CASE("iot::modbus::decode_pdu rejects out-of-limit quantities and wrong byte counts") {
  CHECK(decode_pdu(H("03 00 00 00 7D"), Direction::request).ok());
  CHECK(decode_pdu(H("03 00 00 00 7E"), Direction::request).error == "quantity out of range 1-125"); // 126 registers
  CHECK(decode_pdu(H("04 00 00 00 00"), Direction::request).error == "quantity out of range 1-125");
  CHECK(decode_pdu(H("01 00 00 07 D0"), Direction::request).ok());
  CHECK(decode_pdu(H("01 00 00 07 D1"), Direction::request).error == "quantity out of range 1-2000"); // 2001 coils
  CHECK(decode_pdu(H("03 FF FF 00 02"), Direction::request).error == "address + quantity beyond 65536");
  CHECK(decode_pdu(H("03 FF FF 00 01"), Direction::request).ok());
  CHECK(decode_pdu(H("03 06 02 2B 00 00 00"), Direction::response).error == "byte count does not match length");
  CHECK(decode_pdu(H("03 05 02 2B 00 00 00"), Direction::response).error == "odd byte count");
  CHECK(decode_pdu(H("10 00 00 00 7C F8"), Direction::request).error == "byte count does not match length");
  Bytes big{0x10, 0x00, 0x00, 0x00, 0x7C, 0xF6}; // 124 registers
  big.resize(6 + 0xF6);
  CHECK(decode_pdu(big, Direction::request).error == "quantity out of range 1-123");
  CHECK(decode_pdu(H("0F 00 00 07 B1 F7"), Direction::response).error == "PDU too long");
  CHECK(decode_pdu(H("0F 00 00 07 B1"), Direction::response).error == "quantity out of range 1-1968");
  CHECK(decode_pdu({}, Direction::unknown).error == "empty PDU");
  CHECK(decode_pdu(H("41 00"), Direction::unknown).error == "unknown function code");
  Bytes huge(254, 0);
  huge[0] = 0x03;
  CHECK(decode_pdu(huge, Direction::unknown).error == "PDU longer than 253 bytes");

  const std::vector<std::uint16_t> regs126(126);
  CHECK_THROWS_AS(encode_read_registers_response(0x03, regs126), iot::Error);
  CHECK_THROWS_AS(encode_read_request(0x03, 0, 126), iot::Error);
  CHECK_THROWS_AS(encode_read_request(0x01, 0, 2001), iot::Error);
  CHECK_THROWS_AS(encode_read_request(0x03, 65535, 2), iot::Error);
  const std::vector<std::uint16_t> regs124(124);
  CHECK_THROWS_AS(encode_write_multiple_registers(0, regs124), iot::Error);
  const std::vector<bool> coils1969(1969);
  CHECK_THROWS_AS(encode_write_multiple_coils(0, coils1969), iot::Error);
}

TEST_CASE("iot::modbus::decode_pdu never reads past the end of any prefix or random PDU") {
  const Bytes samples[] = {
      H("01 03 CD 6B 05"),
      H("03 06 02 2B 00 00 00 64"),
      H("0F 00 13 00 0A 02 CD 01"),
      H("10 00 01 00 02 04 00 0A 01 02"),
      H("17 00 03 00 06 00 0E 00 03 06 00 FF 00 FF 00 FF"),
      H("2B 0E 01 01 00 00 01 00 02 41 42"),
      H("18 00 06 00 02 01 B8 12 84"),
      H("11 03 01 FF 00"),
      H("0C 08 00 00 01 08 01 21 20 00"),
  };
  for (const Bytes& s : samples) {
    for (std::size_t n = 0; n <= s.size(); ++n) {
      // A vector of exactly n bytes, so ASan sees any overread.
      const Bytes prefix(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
      for (Direction dir : {Direction::request, Direction::response, Direction::unknown}) {
        const DecodedPdu d = decode_pdu(prefix, dir);
        // Shortened responses that carry a byte count are all invalid.
        if (n < s.size() && n > 0 && (s[0] == 0x01 || s[0] == 0x03 || s[0] == 0x2B) && dir == Direction::response)
          CHECK_FALSE(d.ok());
        for (std::size_t i = 0; i < d.value_count && d.value_kind == ValueKind::registers; ++i)
          (void)d.word(i);
        for (std::size_t i = 0; i < d.value_count && d.value_kind == ValueKind::bits; ++i)
          (void)d.bit(i);
        for (DeviceIdObject o : d.objects())
          (void)o;
      }
    }
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    Bytes p(rng() % 40);
    for (auto& b : p)
      b = static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() % 0x30 : rng());
    const DecodedPdu d = decode_pdu(p, Direction::unknown);
    if (d.value_kind == ValueKind::registers) CHECK(d.value_bytes.size() >= 2u * d.value_count);
    if (d.value_kind == ValueKind::bits) CHECK(d.value_bytes.size() * 8 >= d.value_count);
    for (DeviceIdObject o : d.objects())
      (void)o;
  }
}

TEST_CASE("iot::modbus::decode_pdu FC 18 FIFO, FC 07, 0B, 0C") {
  const Bytes f_bytes = H("18 00 06 00 02 01 B8 12 84");
  const DecodedPdu f = decode_pdu(f_bytes, Direction::unknown);
  CHECK(f.ok());
  CHECK(f.direction == Direction::response);
  CHECK(f.words() == std::vector<std::uint16_t>{0x01B8, 0x1284});
  CHECK(decode_pdu(H("18 04 DE"), Direction::unknown).addr == std::uint16_t{0x04DE});
  const Bytes s_bytes = H("07 6D");
  const DecodedPdu s = decode_pdu(s_bytes, Direction::unknown);
  CHECK(s.ok());
  CHECK(s.bits() == std::vector<bool>{1, 0, 1, 1, 0, 1, 1, 0});
  CHECK(decode_pdu(H("0B FF FF 01 08"), Direction::unknown).words() == std::vector<std::uint16_t>{0xFFFF, 0x0108});
  CHECK(decode_pdu(H("0C 08 00 00 01 08 01 21 20 00"), Direction::unknown).ok());
  CHECK(decode_pdu(Bytes{0x0C}, Direction::unknown).direction == Direction::request);
}

TEST_CASE("iot::modbus encoders and decoder agree at the quantity limits") {
  std::vector<std::uint16_t> regs(125);
  for (std::size_t i = 0; i < regs.size(); ++i)
    regs[i] = static_cast<std::uint16_t>(i * 517);
  std::vector<bool> bits(2000);
  for (std::size_t i = 0; i < bits.size(); ++i)
    bits[i] = (i * 7) % 3 == 0;
  const Bytes r = encode_read_registers_response(0x03, regs);
  CHECK(r.size() == 252);
  CHECK(decode_pdu(r, Direction::response).words() == regs);
  const Bytes b = encode_read_bits_response(0x01, bits);
  CHECK(b.size() == 252);
  CHECK(decode_pdu(b, Direction::response).bits() == bits);
  const std::vector<bool> coils(bits.begin(), bits.begin() + 1968);
  const Bytes wc = encode_write_multiple_coils(65536 - 1968, coils);
  CHECK(wc.size() == 252);
  const DecodedPdu dwc = decode_pdu(wc, Direction::unknown);
  CHECK(dwc.ok());
  CHECK(dwc.bits() == coils);
  const std::vector<std::uint16_t> w123(regs.begin(), regs.begin() + 123);
  const Bytes wr = encode_write_multiple_registers(0, w123);
  CHECK(decode_pdu(wr, Direction::unknown).words() == w123);
  const std::vector<std::uint16_t> w121(regs.begin(), regs.begin() + 121);
  const Bytes rw = encode_read_write_registers(0, 125, 100, w121);
  CHECK(rw.size() == 252);
  const DecodedPdu drw = decode_pdu(rw, Direction::unknown);
  CHECK(drw.ok());
  CHECK(drw.write_words() == w121);
  CHECK(expected_response_pdu_length(rw) == std::size_t{252});
  // The whole frames are sized right by the RTU length rules.
  for (const Bytes* pdu : {&r, &b, &wc, &wr, &rw}) {
    const Bytes frame = wrap_rtu(1, *pdu);
    CHECK(frame.size() <= k_max_rtu_adu_size);
    const Direction dir =
        (*pdu)[0] == 0x0F || (*pdu)[0] == 0x10 || (*pdu)[0] == 0x17 ? Direction::request : Direction::response;
    CHECK(rtu_frame_length(frame, dir).length == frame.size());
    CHECK(rtu_frame_length(frame, Direction::unknown).length == frame.size());
  }
}

TEST_CASE("iot::modbus::exception_for maps rejected requests to exception codes") {
  CHECK(exception_for(decode_pdu(H("03 00 00 00 01"), Direction::request)) == 0);
  CHECK(exception_for(decode_pdu(H("03 00 00 00 7E"), Direction::request)) == 3);
  CHECK(exception_for(decode_pdu(H("03 FF FF 00 02"), Direction::request)) == 2);
  CHECK(exception_for(decode_pdu(H("05 00 01 12 34"), Direction::request)) == 3);
  CHECK(exception_for(decode_pdu(H("10 00 01 00 02 03 00 0A 01"), Direction::request)) == 3);
  CHECK(exception_for(decode_pdu(H("41 00 01"), Direction::request)) == 1);
}

TEST_CASE("iot::modbus::expected_response_pdu_length for receivers") {
  CHECK(expected_response_pdu_length(H("01 00 13 00 13")) == std::size_t{5});
  CHECK(expected_response_pdu_length(H("02 00 00 07 D0")) == std::size_t{252});
  CHECK(expected_response_pdu_length(H("03 00 00 00 7D")) == std::size_t{252});
  CHECK(expected_response_pdu_length(H("10 00 01 00 02 04 00 0A 01 02")) == std::size_t{5});
  CHECK(expected_response_pdu_length(Bytes{0x07}) == std::size_t{2});
  CHECK_FALSE(expected_response_pdu_length(Bytes{0x11}));
  CHECK_FALSE(expected_response_pdu_length(H("2B 0E 01 00")));
  CHECK_FALSE(expected_response_pdu_length(H("03 00 00 00 7E"))); // invalid request
  CHECK_FALSE(expected_response_pdu_length({}));
}

TEST_CASE("iot::modbus::write_frame_record writes the frame fields of docs/record-format.md") {
  const auto ts = iot::parse_ts("2026-11-21T08:00:00.123Z");
  REQUIRE(ts);
  DecodedFrame f;
  auto record = [&](std::string_view hex, std::optional<Framing> framing = std::nullopt,
                    Direction dir = Direction::unknown) {
    static Bytes bytes;
    bytes = H(hex);
    decode_frame(bytes, framing, dir, f);
    std::string out;
    iot::JsonWriter w(out);
    write_frame_record(w, *ts, f);
    return out;
  };
  CHECK(record("01 03 00 00 00 04 44 09") ==
        R"({"ts":"2026-11-21T08:00:00.123Z","kind":"frame","framing":"rtu","direction":"request","unit":1,"fc":3,)"
        R"("fc_name":"read_holding_registers","addr":0,"count":4,"crc_ok":true,"hex":"0103000000044409"})");
  CHECK(record("01 03 08 00 00 00 00 00 00 00 00 95 D7") ==
        R"({"ts":"2026-11-21T08:00:00.123Z","kind":"frame","framing":"rtu","direction":"response","unit":1,"fc":3,)"
        R"("fc_name":"read_holding_registers","count":4,"byte_count":8,"values":[0,0,0,0],"crc_ok":true,)"
        R"("hex":"010308000000000000000095d7"})");
  // A flipped bit: still decoded, crc_ok false.
  CHECK(record("01 03 00 00 00 05 44 09").find(R"("count":5,"crc_ok":false,)") != std::string::npos);
  // TCP with an exception response.
  const std::string tcp = record("00 2A 00 00 00 03 11 83 02");
  CHECK(tcp == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"frame","framing":"tcp","direction":"response","unit":17,)"
               R"("fc":3,"fc_name":"read_holding_registers","exception":{"code":2,"name":"illegal_data_address"},)"
               R"("tid":42,"hex":"002a00000003118302"})");
  // FC-specific fields, and one writer for any framing.
  auto record_of = [&](const Bytes& adu, Direction dir = Direction::unknown) {
    static Bytes bytes;
    bytes = adu;
    decode_frame(bytes, std::nullopt, dir, f);
    std::string out;
    iot::JsonWriter w(out);
    write_frame_record(w, *ts, f);
    return out;
  };
  CHECK(
      record_of(wrap_rtu(1, H("16 00 04 00 F2 00 25"))).find(R"("addr":4,"and_mask":242,"or_mask":37,"crc_ok":true)") !=
      std::string::npos);
  CHECK(
      record_of(wrap_rtu(1, H("17 00 03 00 06 00 0E 00 03 06 00 FF 00 FF 00 FF")))
          .find(R"("addr":3,"count":6,"byte_count":6,"write_addr":14,"write_count":3,"write_values":[255,255,255],)") !=
      std::string::npos);
  CHECK(
      record_of(wrap_rtu(1, H("01 03 CD 6B 05")), Direction::response)
          .find(
              R"("values":[true,false,true,true,false,false,true,true,true,true,false,true,false,true,true,false,)") !=
      std::string::npos);
  CHECK(record_of(wrap_rtu(1, H("11 03 2A FF 00")))
            .find(R"("byte_count":3,"server_id":"2aff00","run_indicator":true,)") != std::string::npos);
  const std::string diag = record("3A 30 31 30 38 30 30 30 30 41 35 33 37 31 42 0D 0A"); // ":01080000A5371B\r\n"
  CHECK(diag.find(R"("framing":"ascii")") != std::string::npos);
  CHECK(diag.find(R"("sub_function":0,"data":"a537")") != std::string::npos);
  CHECK(diag.find(R"("crc_ok":true)") != std::string::npos);
  CHECK(diag.find(R"("hex":"3a30313038303030304135333731420d0a")") != std::string::npos);
  const std::string devid = record_of(wrap_tcp(1, 0xFF, H("2B 0E 01 01 00 00 02 00 04 41 63 6D 65 01 02 50 31")));
  CHECK(devid.find(R"("mei_type":14,"read_code":1,"conformity":1,"more_follows":false,"next_object":0,)"
                   R"("objects":{"0x00":"Acme","0x01":"P1"})") != std::string::npos);
  // Bad input still gives a record with an error.
  CHECK(record("01").find(R"("error":"RTU frame shorter than 4 bytes")") != std::string::npos);
  CHECK(record("").find(R"("hex":"")") != std::string::npos);
}

TEST_CASE("iot::modbus::parse_hex_bytes accepts common spellings") {
  Bytes b;
  CHECK(parse_hex_bytes("01 03 00 6b", b));
  CHECK(b == Bytes{1, 3, 0, 0x6B});
  CHECK(parse_hex_bytes("0103006B", b));
  CHECK(b == Bytes{1, 3, 0, 0x6B});
  CHECK(parse_hex_bytes("0x01,0x03 1 3", b));
  CHECK(b == Bytes{1, 3, 1, 3});
  CHECK(parse_hex_bytes("", b));
  CHECK(b.empty());
  CHECK_FALSE(parse_hex_bytes("010", b));
  CHECK_FALSE(parse_hex_bytes("01 zz", b));
}

TEST_CASE("iot::modbus::append_read_registers_response appends to what is there") {
  const std::vector<std::uint16_t> words{0x1234, 0xABCD};
  Bytes out{0xEE}; // a reply buffer that already holds something
  append_read_registers_response(out, 0x04, words);
  CHECK(out == Bytes{0xEE, 0x04, 0x04, 0x12, 0x34, 0xAB, 0xCD});
  Bytes fresh;
  append_read_registers_response(fresh, 0x04, words);
  CHECK(fresh == encode_read_registers_response(0x04, words));
}

TEST_CASE("iot::modbus::append_read_bits_response packs a server's states like the bit encoder") {
  // Coils 27..20 = CD, 35..28 = 6B, 38..36 = 101 ([AP] §6.1 example), as a server stores them:
  // one word per coil, any non-zero word ON.
  const std::vector<std::uint16_t> states{1, 0, 7, 1, 0, 0, 1, 0xFFFF, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1};
  Bytes out{0xEE}; // a reply buffer that already holds something
  append_read_bits_response(out, 0x01, states);
  CHECK(out == Bytes{0xEE, 0x01, 0x03, 0xCD, 0x6B, 0x05});
  std::vector<bool> bits;
  for (std::uint16_t s : states)
    bits.push_back(s != 0);
  Bytes fresh;
  append_read_bits_response(fresh, 0x02, states);
  CHECK(fresh == encode_read_bits_response(0x02, bits));
  CHECK_THROWS(append_read_bits_response(fresh, 0x01, std::vector<std::uint16_t>(2001, 1)));
}
