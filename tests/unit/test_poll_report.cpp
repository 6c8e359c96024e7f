#include <catch2/catch.hpp>

#include "iot/poll/report_filter.hpp"
#include "iot/poll/stats.hpp"

using namespace iot::poll;
using std::chrono::seconds;

TEST_CASE("iot::poll::ReportFilter storage period and deadband") {
  SECTION("no rules: every reading") {
    ReportFilter f;
    CHECK(f.keeps_all());
    for (int i = 0; i < 5; ++i)
      CHECK(f.admit(seconds(i), 1.0, "", 0, 0));
    CHECK_FALSE(ReportFilter({seconds(1), {}}).keeps_all());
    CHECK_FALSE(ReportFilter({{}, 0.5}).keeps_all());
  }
  SECTION("storage period 10s, alarm and quality changes always pass") {
    ReportFilter f({seconds(10), {}});
    CHECK(f.admit(seconds(0), 1.0, "", 0, 0));
    CHECK_FALSE(f.admit(seconds(5), 2.0, "", 0, 0));
    CHECK(f.admit(seconds(6), 30.0, "", 0, 1)); // alarm level changed
    CHECK_FALSE(f.admit(seconds(15), 30.0, "", 0, 1));
    CHECK(f.admit(seconds(16), 30.0, "", 0, 1));
    CHECK(f.admit(seconds(17), {}, "", 1, 1)); // quality changed
  }
  SECTION("report deadband 0.5") {
    ReportFilter f({{}, 0.5});
    CHECK(f.admit(seconds(0), 10.0, "", 0, 0));
    CHECK_FALSE(f.admit(seconds(1), 10.4, "", 0, 0));
    CHECK_FALSE(f.admit(seconds(2), 10.5, "", 0, 0));
    CHECK(f.admit(seconds(3), 10.6, "", 0, 0));
    CHECK_FALSE(f.admit(seconds(4), 10.2, "", 0, 0));
    CHECK(f.admit(seconds(5), 10.0, "", 0, 0));
  }
  SECTION("both") {
    ReportFilter f({seconds(10), 1.0});
    CHECK(f.admit(seconds(0), 0.0, "", 0, 0));
    CHECK_FALSE(f.admit(seconds(1), 5.0, "", 0, 0));  // moved, period not over
    CHECK_FALSE(f.admit(seconds(11), 0.5, "", 0, 0)); // period over, not moved
    CHECK(f.admit(seconds(12), 5.0, "", 0, 0));
  }
}

TEST_CASE("iot::poll::LatencyHistogram mean and p99") {
  LatencyHistogram h;
  CHECK(h.quantile_ms(0.99) == 0.0);
  for (int i = 1; i <= 1000; ++i)
    h.add(std::chrono::microseconds(i * 10)); // 0.01 .. 10 ms
  CHECK(h.mean_ms() == Approx(5.005));
  CHECK(h.quantile_ms(0.99) == Approx(9.9).epsilon(0.03));
  CHECK(h.quantile_ms(0.5) == Approx(5.0).epsilon(0.03));
}
