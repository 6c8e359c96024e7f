#include <catch2/catch.hpp>

#include "iot/core/error.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/sim/device.hpp"

using iot::config::GeneratorSpec;
using iot::values::Table;
using iot::values::ValueType;
using iot::values::WordOrder;
namespace mb = iot::modbus;

namespace {

iot::config::Point point(std::string name, Table t, std::uint16_t addr, ValueType type = ValueType::u16,
                         bool writable = false) {
  iot::config::Point p;
  p.name = std::move(name);
  p.ref = {t, addr};
  p.format.type = type;
  p.writable = writable;
  p.read_only = !writable;
  return p;
}

GeneratorSpec constant(double v) {
  GeneratorSpec g;
  g.kind = GeneratorSpec::Kind::constant;
  g.value = v;
  return g;
}

struct Fixture {
  iot::config::Port port;
  iot::config::Device dev;
  Fixture() {
    port.name = "bus1";
    dev.name = "ctrl1";
    dev.unit = 1;
    dev.model = "FC1003-8";
    auto ch1 = point("ch1", Table::holding_register, 0);
    ch1.scaling.decimals = 1;
    ch1.generator = constant(12.5);
    dev.points.push_back(ch1);
    auto sp = point("setpoint", Table::holding_register, 1, ValueType::u16, true);
    dev.points.push_back(sp);
    auto pw = point("power", Table::holding_register, 2, ValueType::f32, true);
    pw.format.order = WordOrder::cdab;
    pw.generator = constant(1234.5);
    dev.points.push_back(pw);
    auto e = point("energy", Table::input_register, 10, ValueType::u32);
    e.scaling.scale = 0.01;
    e.generator = constant(100.25);
    dev.points.push_back(e);
    auto twice = point("twice", Table::input_register, 12, ValueType::i16);
    GeneratorSpec l;
    l.kind = GeneratorSpec::Kind::link;
    l.point = "ch1";
    l.factor = 2;
    l.offset = -1;
    twice.generator = l;
    dev.points.push_back(twice);
    auto relay = point("relay", Table::coil, 3, ValueType::bit, true);
    dev.points.push_back(relay);
    auto alarm = point("alarm", Table::discrete_input, 0, ValueType::bit);
    alarm.generator = constant(1);
    dev.points.push_back(alarm);
  }
};

mb::Bytes handle(iot::sim::Device& d, const mb::Bytes& req) {
  mb::Bytes out;
  d.handle(req, 1.0, out);
  return out;
}

} // namespace

TEST_CASE("iot::sim::Device reads what the generators say, encoded per point") {
  Fixture f;
  iot::sim::Device d(f.dev, f.port);
  d.resolve_links([](std::string_view) { return nullptr; });
  auto out = handle(d, mb::encode_read_request(3, 0, 4));
  auto r = mb::decode_pdu(out, mb::Direction::response);
  REQUIRE(r.ok());
  REQUIRE(r.value_count == 4);
  CHECK(r.word(0) == 125); // 12.5 with one decimal
  CHECK(r.word(1) == 0);
  // 1234.5 as f32 = 0x449A5000, CDAB: low word first
  CHECK(r.word(2) == 0x5000);
  CHECK(r.word(3) == 0x449A);

  out = handle(d, mb::encode_read_request(4, 10, 3));
  r = mb::decode_pdu(out, mb::Direction::response);
  REQUIRE(r.ok());
  CHECK((static_cast<std::uint32_t>(r.word(0)) << 16 | r.word(1)) == 10025);
  CHECK(static_cast<std::int16_t>(r.word(2)) == 24); // linked: 12.5 * 2 - 1, rounded

  out = handle(d, mb::encode_read_request(2, 0, 1));
  CHECK(out == mb::Bytes{0x02, 0x01, 0x01});
}

TEST_CASE("iot::sim::Device exceptions: address, quantity, function") {
  Fixture f;
  iot::sim::Device d(f.dev, f.port);
  CHECK(handle(d, mb::encode_read_request(3, 100, 2)) == mb::Bytes{0x83, 0x02});
  CHECK(handle(d, mb::encode_read_request(3, 3, 2)) == mb::Bytes{0x83, 0x02});        // past the map
  CHECK(handle(d, mb::Bytes{0x03, 0x00, 0x00, 0x00, 0x7E}) == mb::Bytes{0x83, 0x03}); // 126 registers
  CHECK(handle(d, mb::Bytes{0x03, 0x00, 0x00, 0x00, 0x00}) == mb::Bytes{0x83, 0x03});
  CHECK(handle(d, mb::Bytes{0x07}) == mb::Bytes{0x87, 0x01});
  CHECK(handle(d, mb::Bytes{0x41, 0x00}) == mb::Bytes{0xC1, 0x01});
  // Writing a read-only point.
  CHECK(handle(d, mb::encode_write_single_register(0, 5)) == mb::Bytes{0x86, 0x02});
  CHECK(handle(d, mb::Bytes{0x05, 0x00, 0x03, 0x12, 0x34}) == mb::Bytes{0x85, 0x03});
}

TEST_CASE("iot::sim::Device writes change later reads and stop the generator") {
  Fixture f;
  iot::sim::Device d(f.dev, f.port);
  std::vector<iot::sim::WriteEvent> writes;
  mb::Bytes out;
  auto req = mb::encode_write_single_register(1, 777);
  d.handle(req, 1, out, [&](const iot::sim::WriteEvent& e) { writes.push_back(e); });
  CHECK(out == req);
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].addr == 1);
  CHECK(d.read(Table::holding_register, 1, 1, 2)->at(0) == 777);

  const std::uint16_t words[] = {0x0000, 0x4120}; // 10.0f, CDAB
  out = handle(d, mb::encode_write_multiple_registers(2, words));
  CHECK(out == mb::Bytes{0x10, 0x00, 0x02, 0x00, 0x02});
  CHECK(std::get<double>(d.current(2, 5)) == Approx(10.0));

  // FC 16: (cur AND and) OR (or AND NOT and) = (777 & 0xFF00) | (0x0012 & 0x00FF)
  out = handle(d, mb::encode_mask_write_register(1, 0xFF00, 0x0012));
  CHECK(d.read(Table::holding_register, 1, 1, 2)->at(0) == ((777 & 0xFF00) | 0x12));

  // FC 17 writes first, then reads.
  const std::uint16_t w2[] = {42};
  out = handle(d, mb::encode_read_write_registers(0, 2, 1, w2));
  auto r = mb::decode_pdu(out, mb::Direction::response);
  REQUIRE(r.ok());
  CHECK(r.word(1) == 42);

  out = handle(d, mb::encode_write_single_coil(3, true));
  const bool bits[] = {false};
  CHECK(d.read(Table::coil, 3, 1, 1)->at(0) == 1);
  out = handle(d, mb::encode_write_multiple_coils(3, bits));
  CHECK(out == mb::Bytes{0x0F, 0x00, 0x03, 0x00, 0x01});
  CHECK(d.read(Table::coil, 3, 1, 1)->at(0) == 0);
}

TEST_CASE("iot::sim::Device set command, diagnostics, server id, identification") {
  Fixture f;
  iot::sim::Device d(f.dev, f.port);
  d.set(0, iot::values::Value(33.3));
  CHECK(d.read(Table::holding_register, 0, 1, 1)->at(0) == 333);
  CHECK_THROWS_AS(d.set(0, iot::values::Value(1e9)), iot::Error);
  d.set(0, iot::values::Value{}); // back to the generator
  CHECK(d.read(Table::holding_register, 0, 1, 1)->at(0) == 125);

  const std::uint8_t data[] = {0xAB, 0xCD};
  auto echo = mb::encode_diagnostics(0, data);
  CHECK(handle(d, echo) == echo);
  auto sid = handle(d, mb::encode_report_server_id_request());
  REQUIRE(sid.size() > 3);
  CHECK(sid[0] == 0x11);
  CHECK(sid[2] == 1);
  CHECK(sid[3] == 0xFF);
  auto id = handle(d, mb::encode_device_id_request(1, 0));
  auto r = mb::decode_pdu(id, mb::Direction::response);
  REQUIRE(r.ok());
  REQUIRE(r.object_count == 3);
  std::vector<std::string> names;
  for (auto o : r.objects())
    names.emplace_back(o.value);
  CHECK(names[1] == "FC1003-8");
}

TEST_CASE("iot::sim::Device memory follows the configured registers") {
  iot::config::Port port;
  iot::config::Device dev;
  dev.name = "sparse";
  dev.points.push_back(point("a", Table::holding_register, 0));
  dev.points.push_back(point("b", Table::holding_register, 40000));
  dev.points.push_back(point("c", Table::holding_register, 40010)); // within the merge gap: one block
  iot::sim::Device d(dev, port);
  CHECK(d.register_count() == 1 + 11);
  CHECK(d.read(Table::holding_register, 40000, 11, 0).has_value());
  CHECK(!d.read(Table::holding_register, 1, 1, 0).has_value());
}

TEST_CASE("iot::sim::Device link cycles are refused") {
  iot::config::Port port;
  iot::config::Device dev;
  dev.name = "loop";
  auto a = point("a", Table::holding_register, 0);
  auto b = point("b", Table::holding_register, 1);
  GeneratorSpec la;
  la.kind = GeneratorSpec::Kind::link;
  la.point = "b";
  GeneratorSpec lb = la;
  lb.point = "a";
  a.generator = la;
  b.generator = lb;
  dev.points = {a, b};
  iot::sim::Device d(dev, port);
  CHECK_THROWS_AS(d.resolve_links([](std::string_view) { return nullptr; }), iot::Error);
}
