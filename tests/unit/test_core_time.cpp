#include <catch2/catch.hpp>

#include "iot/core/time.hpp"

using namespace std::chrono_literals;

TEST_CASE("iot::format_ts writes RFC 3339 UTC with milliseconds") {
  CHECK(iot::format_ts(iot::from_epoch_us(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(iot::format_ts(iot::from_epoch_us(1795248000123456)) == "2026-11-21T08:00:00.123Z");
  CHECK(iot::format_ts(iot::from_epoch_us(951782400000000)) == "2000-02-29T00:00:00.000Z"); // leap day
  CHECK(iot::format_ts(iot::from_epoch_us(-1000)) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("iot::parse_ts reads what format_ts writes, offsets and dates") {
  for (std::int64_t us : {0LL, 1795248000123000LL, 951782400999000LL}) {
    auto t = iot::from_epoch_us(us);
    REQUIRE(iot::parse_ts(iot::format_ts(t)) == t);
  }
  CHECK(iot::parse_ts("2026-11-21T16:00:00+08:00") == iot::parse_ts("2026-11-21T08:00:00Z"));
  CHECK(iot::parse_ts("2026-11-21 08:00:00.5Z") == iot::parse_ts("2026-11-21T08:00:00.500Z"));
  CHECK(iot::parse_ts("2026-11-21") == iot::parse_ts("2026-11-21T00:00:00Z"));
  CHECK_FALSE(iot::parse_ts("2026-11-21T08:00:00")); // no zone: ambiguous
  CHECK_FALSE(iot::parse_ts("2026-13-01"));
  CHECK_FALSE(iot::parse_ts("yesterday"));
}

TEST_CASE("iot::parse_duration accepts units and rejects junk") {
  CHECK(iot::parse_duration("500ms") == 500ms);
  CHECK(iot::parse_duration("1.5s") == 1500ms);
  CHECK(iot::parse_duration("2") == 2s);
  CHECK(iot::parse_duration("6h") == 6h);
  CHECK(iot::parse_duration("1d") == 24h);
  CHECK(iot::parse_duration("250us") == 250us);
  CHECK_FALSE(iot::parse_duration("-1s"));
  CHECK_FALSE(iot::parse_duration("1 week"));
  CHECK_FALSE(iot::parse_duration(""));
}
