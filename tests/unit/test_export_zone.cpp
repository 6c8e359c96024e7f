#include <catch2/catch.hpp>

#include "iot/core/error.hpp"
#include "iot/export/aggregate.hpp"
#include "iot/export/zone.hpp"

using namespace iot;
using namespace iot::exporter;

namespace {
std::int64_t ms(const char* ts) { return epoch_ms(*parse_ts(ts)); }
} // namespace

TEST_CASE("iot::exporter::TimeZone shows UTC and named zones") {
  TimeZone utc;
  CHECK(utc.civil(ms("2026-11-21T08:00:00.123Z")) == "2026-11-21 08:00:00.123");
  CHECK(utc.rfc3339(ms("2026-11-21T08:00:00.123Z")) == "2026-11-21T08:00:00.123Z");
  CHECK(utc.label(0) == "UTC");
  CHECK(utc.floor(ms("2026-11-21T08:30:00Z"), 86400000) == ms("2026-11-21T00:00:00Z"));

  TimeZone sh = TimeZone::named("Asia/Shanghai");
  CHECK(sh.offset_s(ms("2026-11-21T00:00:00Z")) == 8 * 3600);
  CHECK(sh.civil(ms("2026-11-21T20:00:00.5Z")) == "2026-11-22 04:00:00.500");
  CHECK(sh.civil(ms("2026-11-21T20:00:00.5Z"), false) == "2026-11-22 04:00:00");
  CHECK(sh.rfc3339(ms("2026-11-21T08:00:00Z")) == "2026-11-21T16:00:00.000+08:00");
  CHECK(sh.label(0) == "Asia/Shanghai (UTC+08:00)");
  // A Shanghai day starts at 16:00 UTC the day before.
  CHECK(sh.floor(ms("2026-11-21T08:30:00Z"), 86400000) == ms("2026-11-20T16:00:00Z"));
  // Times before 1970 floor downwards too.
  CHECK(TimeZone().civil(-1) == "1969-12-31 23:59:59.999");

  TimeZone kolkata = TimeZone::named("Asia/Kolkata");
  CHECK(kolkata.floor(ms("2026-11-21T08:10:00Z"), 3600000) == ms("2026-11-21T07:30:00Z"));
  CHECK(kolkata.rfc3339(ms("2026-11-21T00:00:00Z")) == "2026-11-21T05:30:00.000+05:30");

  CHECK_THROWS_AS(TimeZone::named("Mars/Olympus"), Error);
  CHECK_THROWS_AS(TimeZone::named("../etc/passwd"), Error);
  CHECK(TimeZone::named("UTC").is_utc());
}

TEST_CASE("iot::exporter::Aggregator folds readings per point and bucket") {
  std::vector<Aggregate> out;
  Aggregator agg(60000, TimeZone(), [&](const Aggregate& a) { out.push_back(a); });
  Row r;
  r.kind = RecordKind::reading;
  r.value_tag = ValueTag::number;
  auto add = [&](std::int64_t t, const char* dev, double v) {
    r.ts_ms = t;
    r.device = dev;
    r.point = "p";
    r.value_num = v;
    agg.add(r);
  };
  add(1000, "b", 5);
  add(2000, "a", 1);
  add(30000, "a", 3);
  add(59999, "b", 7);
  r.value_tag = ValueTag::null; // not counted
  add(59999, "a", 100);
  r.value_tag = ValueTag::number;
  add(60000, "a", 10);
  agg.finish();
  REQUIRE(out.size() == 3);
  CHECK(out[0].device == "a"); // a bucket's points in device order
  CHECK(out[0].start_ms == 0);
  CHECK(out[0].count == 2);
  CHECK(out[0].min == 1);
  CHECK(out[0].max == 3);
  CHECK(out[0].mean() == 2);
  CHECK(out[0].last == 3);
  CHECK(out[1].device == "b");
  CHECK(out[1].last == 7);
  CHECK(out[1].mean() == 6);
  CHECK(out[2].start_ms == 60000);
  CHECK(out[2].count == 1);
  std::string line;
  write_aggregate(line, out[0], 60000);
  CHECK(line == R"({"ts":"1970-01-01T00:00:00.000Z","kind":"aggregate","device":"a","point":"p","interval_s":60,)"
                R"("count":2,"min":1,"max":3,"mean":2,"last":3})");
}
