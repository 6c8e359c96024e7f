
#include <catch2/catch.hpp>
#include <deque>

#include "iot/poll/output.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/record/record.hpp"
#include "iot/values/value_json.hpp"

#include "test_lines.hpp"

using namespace iot::poll;

namespace {

// A reading record as a plain JsonWriter writes it, field by field in the order of
// docs/record-format.md: the reference the renderer's pre-rendered fragments must match.
std::string reference_json(const ReadingRecord& r) {
  std::string out;
  iot::JsonWriter w(out);
  w.begin_record(r.ts, "reading");
  w.field("port", r.port);
  w.field("unit", static_cast<int>(r.unit));
  w.field("device", r.device);
  w.field("point", r.point);
  w.field("addr", r.addr);
  w.key("value");
  iot::values::write_json(w, r.value);
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
  if (r.alarm != AlarmLevel::none) w.field("alarm", alarm_level_name(r.alarm));
  w.end_object();
  return out;
}

// Renders the records (each twice, so the second one uses the filled cache) and
// returns the lines.
std::vector<std::string> render(std::vector<ReadingRecord> records) {
  iot_test::CapturedLines captured;
  {
    Output out(make_renderer(OutputFormat::jsonl, captured.sink, false));
    for (int pass = 0; pass < 2; ++pass) {
      Output::Batch batch(out);
      for (const auto& r : records)
        batch.reading(r);
    }
    out.flush();
  }
  return captured.lines();
}

} // namespace

TEST_CASE("iot::poll JSONL reading records are what JsonWriter writes, field for field") {
  // Output maps poll's ReadingRecord onto the record writer; these cases cover the
  // mapping of every field and the point cache. How values, raw words and bits and
  // escapes are written is record/'s to test, against the same reference
  // (test_record_reading_line.cpp), and is not repeated here.
  const auto ts0 = *iot::parse_ts("2026-11-21T08:00:00.123Z");
  const auto ts1 = *iot::parse_ts("2026-11-21T08:00:01.999Z");
  const std::vector<std::uint16_t> words{0, 1, 65535, 42};
  const std::vector<std::uint16_t> bits{1, 0};
  std::vector<PointCache> caches(4);
  std::vector<ReadingRecord> records;
  std::deque<std::string> names; // what the records' views point to
  auto add = [&](auto&& fill) {
    ReadingRecord r;
    r.ts = records.size() % 3 == 0 ? ts1 : ts0;
    r.port = "bus1";
    r.device = "ctrl1";
    r.point = names.emplace_back("ch" + std::to_string(records.size()));
    r.unit = 7;
    r.addr = "hr:0";
    fill(r);
    if (records.size() % 2 == 0) r.cache = &caches.at(records.size());
    records.push_back(r);
  };
  add([&](ReadingRecord& r) {
    r.value = 12.4;
    r.raw = std::span(words).subspan(2, 1);
    r.uom = "%LEL";
    r.alarm = AlarmLevel::hh;
  });
  add([&](ReadingRecord& r) {
    r.value = false;
    r.raw = std::span(bits);
    r.raw_bits = true;
    r.addr = "coil:3";
    r.alarm = AlarmLevel::l;
  });
  add([&](ReadingRecord& r) {
    r.quality = iot::Quality::timeout;
    r.error = "no answer within 500 ms";
    r.uom = "V";
  });
  add([&](ReadingRecord& r) {
    r.port = "tcp://h:502 \"main\"\\";
    r.device = "d\xC3\xA9v\x01";
    r.value = std::int64_t{-5};
    r.raw = std::span(words);
    r.quality = iot::Quality::offline;
    r.error = "device offline";
    r.unit = 255;
    r.alarm = AlarmLevel::ll;
  });
  const auto lines = render(records);
  REQUIRE(lines.size() == 2 * records.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    INFO("record " << i % records.size() << (i < records.size() ? " (first)" : " (again)"));
    CHECK(lines[i] == reference_json(records[i % records.size()]));
  }
}

TEST_CASE("iot::poll write records: the value is formatted by the writer, one line of JSON") {
  iot_test::CapturedLines captured;
  {
    Output out(make_renderer(OutputFormat::jsonl, captured.sink, false));
    WriteRecord one;
    one.device = "unit1";
    one.requested = {16.0}; // as `iot-poll write hr:0=0x10` read it
    out.write(one);
    WriteRecord text;
    text.device = "unit1";
    text.requested = {std::string("line 1\nline \"2\"")};
    out.write(text);
    WriteRecord list;
    list.device = "unit1";
    list.requested = {1.5, true, std::string("x")};
    list.requested_list = true;
    out.write(list);
  }
  const auto lines = captured.lines();
  REQUIRE(lines.size() == 3);
  iot::RecordParser parser;
  for (std::size_t i = 0; i < lines.size(); ++i)
    CHECK_NOTHROW(parser.parse_copy(lines[i], i + 1));
  CHECK(lines[0].find(R"("value":16,)") != std::string::npos);
  CHECK(lines[1].find(R"("value":"line 1\nline \"2\"",)") != std::string::npos);
  CHECK(lines[2].find(R"("value":[1.5,true,"x"],)") != std::string::npos);
}
