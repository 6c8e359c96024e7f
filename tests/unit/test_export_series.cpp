#include <catch2/catch.hpp>

#include "iot/export/chart.hpp"
#include "iot/export/series.hpp"

using namespace iot;
using namespace iot::exporter;

TEST_CASE("iot::exporter::Series keeps a bounded number of buckets") {
  Series s(100);
  for (int i = 0; i < 100000; ++i)
    s.add(i * 1000, i % 10);
  CHECK(s.buckets().size() <= 100);
  CHECK(s.buckets().size() >= 25); // halved at most once below the cap
  double sum = 0;
  std::uint64_t count = 0;
  for (const auto& b : s.buckets()) {
    sum += b.sum;
    count += b.count;
    CHECK(b.min == 0);
    CHECK(b.max == 9);
  }
  CHECK(count == 100000);
  CHECK(sum == 450000);
}

TEST_CASE("iot::exporter::Series accepts out-of-order samples") {
  Series s(100);
  s.add(5000, 1);
  s.add(1000, 2);
  s.add(3000, 3);
  REQUIRE(s.buckets().size() == 3);
  CHECK(s.buckets()[0].t == 1000);
  CHECK(s.buckets()[2].t == 5000);
}

TEST_CASE("iot::exporter::TimeSeriesSet tracks alarm periods and peaks") {
  TimeSeriesSet set;
  Row r;
  r.kind = RecordKind::reading;
  r.device = "d";
  r.point = "p";
  r.value_tag = ValueTag::number;
  auto reading = [&](std::int64_t t, double v) {
    r.kind = RecordKind::reading;
    r.ts_ms = t;
    r.value_num = v;
    set.add(r);
  };
  auto alarm = [&](std::int64_t t, std::string_view state, std::string_view level, double v) {
    r.kind = RecordKind::alarm;
    r.ts_ms = t;
    r.state = state;
    r.level = level;
    r.value_num = v;
    r.has_limit = true;
    r.limit = level == "HH" ? 50 : 25;
    set.add(r);
  };
  reading(0, 10);
  alarm(1000, "raised", "H", 30);
  reading(2000, 45);
  alarm(3000, "level", "HH", 55);
  reading(4000, 60);
  alarm(6000, "cleared", "", 5);
  reading(7000, 5);
  alarm(8000, "raised", "H", 26);
  REQUIRE(set.alarms.size() == 2);
  CHECK(set.alarms[0].level == "HH");
  CHECK(set.alarms[0].raised == 1000);
  CHECK(set.alarms[0].cleared == 6000);
  CHECK(set.alarms[0].peak == 60);
  CHECK(set.alarms[0].limit == 50);
  CHECK(set.alarms[1].cleared == -1);
  const PointData& p = set.points.at({"d", "p"});
  CHECK(p.count == 4);
  CHECK(p.min == 5);
  CHECK(p.max == 60);
  CHECK(p.limits.at("H") == 25);
  CHECK(p.limits.at("HH") == 50);
}

TEST_CASE("iot::exporter::TimeSeriesSet carries in alarms open when a range starts") {
  TimeSeriesSet set;
  const TimeRange range{10000, 20000};
  Row r;
  r.device = "d";
  r.point = "p";
  auto alarm = [&](std::int64_t t, std::string_view state, std::string_view level) {
    r.kind = RecordKind::alarm;
    r.ts_ms = t;
    r.state = state;
    r.level = level;
    set.add_in_range(r, range);
  };
  alarm(1000, "raised", "H"); // closed before the range: left out
  alarm(2000, "cleared", "");
  alarm(3000, "raised", "H");  // open at the start: carried in
  alarm(4000, "raised", "HH"); // (a level change before the range)
  alarm(12000, "cleared", "");
  alarm(15000, "raised", "L"); // inside
  alarm(25000, "cleared", ""); // after the range: the period stays active
  set.drop_closed_before(10000);
  REQUIRE(set.alarms.size() == 2);
  CHECK(set.alarms[0].raised == 3000);
  CHECK(set.alarms[0].level == "HH");
  CHECK(set.alarms[0].carried);
  CHECK(set.alarms[0].cleared == 12000);
  CHECK(set.alarms[1].raised == 15000);
  CHECK_FALSE(set.alarms[1].carried);
  CHECK(set.alarms[1].cleared == -1);
  CHECK(set.alarm_records == 2); // only those inside the range
  CHECK(set.first_ms == 12000);
  CHECK(set.last_ms == 15000);
}

TEST_CASE("iot::exporter chart axis helpers") {
  CHECK(nice_step(100, 5) == 20);
  CHECK(nice_step(1, 4) == 0.25);
  CHECK(time_step(86400000, 8) == 10800000); // a day in 3 h steps
  CHECK(time_step(60000, 8) == 10000);
  CHECK(time_label(epoch_ms(*parse_ts("2026-11-21T08:30:00Z")), 3600000) == "08:30");
  CHECK(format_duration(14000) == "14.0s");
  CHECK(format_duration(3723000) == "1h 02m 03s");
}
