#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <deque>
#include <limits>

#include "iot/record/json_writer.hpp"
#include "iot/record/reading_line.hpp"
#include "iot/record/records.hpp"

#include "test_lines.hpp"

using iot::record::Reading;

namespace {

// A reading record as a plain JsonWriter writes it, field by field with the names of
// docs/record-format.md: the reference both writers must match.
std::string reference_json(const Reading& r) {
  std::string out;
  iot::JsonWriter w(out);
  w.begin_record(r.ts, "reading");
  if (!r.src.empty()) w.field("src", r.src);
  if (!r.port.empty()) w.field("port", r.port);
  if (r.unit) w.field("unit", *r.unit);
  w.field("device", r.device);
  w.field("point", r.point);
  if (!r.addr.empty()) w.field("addr", r.addr);
  w.key("value");
  iot::record::write_value(w, r.value);
  if (!r.raw.empty()) {
    w.key("raw");
    w.begin_array();
    for (auto x : r.raw) {
      if (r.raw_bits)
        w.value(x != 0);
      else
        w.value(static_cast<unsigned>(x));
    }
    w.end_array();
  }
  if (!r.uom.empty()) w.field("uom", r.uom);
  w.field("quality", iot::quality_name(r.quality));
  if (!r.error.empty()) w.field("error", r.error);
  if (!r.alarm.empty()) w.field("alarm", r.alarm);
  w.end_object();
  return out;
}

// Writes the readings with the fast writer (each twice, so the second one uses the filled
// cache) and returns the lines.
std::vector<std::string> fast_lines(const std::vector<Reading>& records,
                                    std::vector<iot::record::ReadingCache*> caches) {
  iot_test::CapturedLines out;
  iot::record::ReadingLineWriter writer;
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t i = 0; i < records.size(); ++i)
      writer.write(out.sink, records[i], caches[i]);
  return out.lines();
}

} // namespace

TEST_CASE("record::ReadingLineWriter writes what record::write and a plain JsonWriter write, byte for byte") {
  const auto ts0 = *iot::parse_ts("2026-11-21T08:00:00.123Z");
  const auto ts1 = *iot::parse_ts("2026-11-21T08:00:01.999Z");
  const std::vector<std::uint16_t> words{0, 1, 65535, 42};
  const std::vector<std::uint16_t> bits{1, 0};
  std::deque<iot::record::ReadingCache> cache_store;
  std::vector<iot::record::ReadingCache*> caches;
  std::vector<Reading> records;
  std::deque<std::string> names; // what the records' views point to
  auto add = [&](auto&& fill) {
    Reading r;
    r.ts = records.size() % 3 == 0 ? ts1 : ts0;
    r.port = "bus1";
    r.device = "ctrl1";
    r.point = names.emplace_back("ch" + std::to_string(records.size()));
    r.unit = 7;
    r.addr = "hr:0";
    fill(r);
    caches.push_back(records.size() % 2 == 0 ? &cache_store.emplace_back() : nullptr);
    records.push_back(r);
  };
  const std::string port_q = "tcp://h:502 \"main\"\\", device_u = "d\xC3\xA9v\x01", bad = "x\xff";
  add([&](Reading& r) {
    r.value = std::int64_t{-5};
    r.raw = std::span(words).first(1);
    r.uom = "°C";
  });
  add([&](Reading& r) {
    r.value = std::uint64_t{18446744073709551615ULL};
    r.raw = std::span(words);
  });
  add([&](Reading& r) {
    r.value = 12.4;
    r.raw = std::span(words).subspan(2, 1);
    r.uom = "%LEL";
    r.alarm = "HH";
  });
  add([&](Reading& r) {
    r.value = true;
    r.raw = std::span(bits).first(1);
    r.raw_bits = true;
    r.addr = "coil:3";
  });
  add([&](Reading& r) {
    r.value = false;
    r.raw = std::span(bits);
    r.raw_bits = true;
    r.alarm = "L";
  });
  add([&](Reading& r) {
    r.value = std::numeric_limits<double>::quiet_NaN();
    r.raw = std::span(words).first(2);
  });
  add([&](Reading& r) {
    r.value = std::string("ab\"c\n");
    r.raw = std::span(words).first(3);
  });
  add([&](Reading& r) {
    r.quality = iot::Quality::timeout;
    r.error = "no answer within 500 ms";
    r.uom = "V";
  });
  add([&](Reading& r) {
    r.quality = iot::Quality::exception;
    r.error = "illegal_data_address";
  });
  add([&](Reading& r) {
    r.port = port_q;
    r.device = device_u;
    r.point = bad;
    r.value = 1e-300;
    r.raw = std::span(words).first(4);
    r.quality = iot::Quality::error;
    r.error = "bad \"bcd\" \x02";
    r.alarm = "LL";
  });
  add([&](Reading& r) {
    r.quality = iot::Quality::offline;
    r.error = "device offline";
    r.unit = 255;
  });
  add([&](Reading& r) { // iot-mqtt-bridge acrel: src, no port, unit or address
    r.src = "/gw/acrelHW/ADW300/data/2301";
    r.port = {};
    r.unit.reset();
    r.addr = {};
    r.value = 229.7;
    r.uom = "V";
  });
  const auto lines = fast_lines(records, caches);
  REQUIRE(lines.size() == 2 * records.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Reading& r = records[i % records.size()];
    INFO("record " << i % records.size() << (i < records.size() ? " (first)" : " (again)"));
    CHECK(lines[i] == reference_json(r));
    std::string typed;
    {
      iot::JsonWriter w(typed);
      iot::record::write(w, r);
    }
    CHECK(lines[i] == typed);
  }
}
