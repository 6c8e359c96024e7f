#include <catch2/catch.hpp>

#include "iot/modbus/crc.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/sim/command.hpp"
#include "iot/sim/fault.hpp"

using iot::config::FaultSpec;
namespace mb = iot::modbus;
using namespace std::chrono_literals;

TEST_CASE("iot::sim::FaultSet decides per request") {
  iot::sim::FaultSet set;
  const auto req = mb::encode_read_request(3, 0, 4);
  CHECK(!set.decide(req, 0).any());

  FaultSpec busy;
  busy.kind = FaultSpec::Kind::busy;
  busy.every = 3;
  set.add(busy, 0);
  int busy_count = 0;
  for (int i = 0; i < 9; ++i) {
    auto a = set.decide(req, 0);
    if (a.exception == 6) ++busy_count;
  }
  CHECK(busy_count == 3);
  set.clear();
  CHECK(set.empty());

  FaultSpec ranged;
  ranged.kind = FaultSpec::Kind::exception;
  ranged.code = 2;
  ranged.addr = iot::values::Range{iot::values::Table::holding_register, 10, 5};
  set.add(ranged, 0);
  CHECK(!set.decide(req, 0).any());
  CHECK(set.decide(mb::encode_read_request(3, 12, 1), 0).exception == 2);
  CHECK(!set.decide(mb::encode_read_request(4, 12, 1), 0).any()); // another table
  set.clear();

  FaultSpec flap;
  flap.kind = FaultSpec::Kind::flap;
  flap.offline = 2s;
  flap.online = 3s;
  set.add(flap, 10);
  CHECK(set.decide(req, 11).silent);
  CHECK(!set.decide(req, 13).silent);
  CHECK(set.decide(req, 15.5).silent); // next cycle
}

TEST_CASE("iot::sim::spoil corrupts the answer as asked") {
  const auto adu = mb::wrap_rtu(1, mb::encode_read_request(3, 0, 4));
  std::uint64_t seed = 1;
  iot::sim::FaultAction crc;
  crc.bad_crc = true;
  auto p = iot::sim::spoil(adu, crc, mb::Framing::rtu, seed);
  REQUIRE(p.size() == 1);
  CHECK(!mb::rtu_crc_ok(p[0]));

  iot::sim::FaultAction cut;
  cut.truncate = iot::sim::FaultAction::k_half;
  CHECK(iot::sim::spoil(adu, cut, mb::Framing::rtu, seed)[0].size() == adu.size() / 2 + adu.size() % 2);

  iot::sim::FaultAction garbage;
  garbage.garbage_before = 3;
  garbage.garbage_after = 2;
  auto g = iot::sim::spoil(adu, garbage, mb::Framing::rtu, seed)[0];
  CHECK(g.size() == adu.size() + 5);
  CHECK(mb::Bytes(g.begin() + 3, g.end() - 2) == adu);

  iot::sim::FaultAction split;
  split.split_us = 1000;
  auto s = iot::sim::spoil(adu, split, mb::Framing::rtu, seed);
  REQUIRE(s.size() == 2);
  s[0].insert(s[0].end(), s[1].begin(), s[1].end());
  CHECK(s[0] == adu);

  const auto ascii = mb::wrap_ascii(1, mb::encode_read_request(3, 0, 4));
  auto a = iot::sim::spoil(ascii, crc, mb::Framing::ascii, seed)[0];
  mb::AsciiScratch scratch{};
  CHECK(!mb::unwrap_adu(a, mb::Framing::ascii, &scratch).ok());
}

TEST_CASE("iot::sim::parse_command") {
  auto c = iot::sim::parse_command(R"({"cmd":"fault","device":"ctrl3","kind":"timeout"})");
  CHECK(c.op == iot::sim::Command::Op::fault);
  CHECK(c.device == "ctrl3");
  CHECK(c.fault.kind == FaultSpec::Kind::timeout);

  c = iot::sim::parse_command(
      R"({"cmd":"fault","port":"bus1","unit":3,"kind":"delay","delay":"250ms","addr":"hr:0:4","every":2})");
  CHECK(c.fault.delay == 250ms);
  CHECK(c.unit == 3);
  CHECK(c.fault.every == 2);
  REQUIRE(c.fault.addr);
  CHECK(c.fault.addr->count == 4);

  c = iot::sim::parse_command(R"({"cmd":"fault","device":"x","kind":"flap","offline":1.5,"online":"2s"})");
  CHECK(c.fault.offline == 1500ms);

  c = iot::sim::parse_command(R"({"cmd":"set","device":"ctrl1","point":"ch1","value":42.5,"id":7})");
  CHECK(std::get<double>(c.value) == 42.5);
  CHECK(c.id == "7");
  c = iot::sim::parse_command(R"({"cmd":"set","device":"ctrl1","point":"ch1","value":null})");
  CHECK(std::holds_alternative<std::monostate>(c.value));
  c = iot::sim::parse_command(R"({"cmd":"clear"})");
  CHECK(c.op == iot::sim::Command::Op::clear);

  CHECK_THROWS(iot::sim::parse_command("not json"));
  CHECK_THROWS(iot::sim::parse_command(R"({"cmd":"explode"})"));
  CHECK_THROWS(iot::sim::parse_command(R"({"cmd":"fault","device":"x","kind":"gremlins"})"));
  CHECK_THROWS(iot::sim::parse_command(R"({"cmd":"set","device":"x"})"));
  CHECK_THROWS(iot::sim::parse_command(R"({"cmd":"fault","kind":"delay","delay":"soon"})"));
  CHECK_THROWS(iot::sim::parse_command(R"({"cmd":"fault","kind":"flap"})"));
}
