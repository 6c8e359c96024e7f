#include <catch2/catch.hpp>

#include "iot/core/error.hpp"
#include "iot/poll/planner.hpp"

using namespace iot::poll;

TEST_CASE("iot::poll::plan_reads 200 points over 2000 registers need at most 16 reads") {
  std::vector<PlanItem> items;
  for (std::uint16_t i = 0; i < 200; ++i) items.push_back({PlanTable::holding_register, static_cast<std::uint16_t>(i * 10), 1});
  auto reads = plan_reads(items, PlanLimits{});
  CHECK(reads.size() <= 16);
  std::size_t covered = 0;
  for (const auto& r : reads) {
    CHECK(r.count <= 125);
    covered += r.items.size();
  }
  CHECK(covered == 200);
  // Two-register values spread the same way also fit.
  for (auto& it : items) it.count = 2;
  CHECK(plan_reads(items, PlanLimits{}).size() <= 16);
}

TEST_CASE("iot::poll::plan_reads respects hole and per-device maximum") {
  std::vector<PlanItem> items = {{PlanTable::holding_register, 0, 1},
                                 {PlanTable::holding_register, 5, 2},
                                 {PlanTable::holding_register, 30, 1},
                                 {PlanTable::input_register, 0, 1},
                                 {PlanTable::coil, 3, 1},
                                 {PlanTable::coil, 1900, 1}};
  SECTION("default hole 16") {
    auto r = plan_reads(items, PlanLimits{});
    REQUIRE(r.size() == 5);  // coil 3, coil 1900, ir 0, hr 0..6, hr 30
    CHECK(r[0].table == PlanTable::coil);
    CHECK(r[2].table == PlanTable::input_register);
    CHECK(r[3].addr == 0);
    CHECK(r[3].count == 7);
    CHECK(r[4].addr == 30);
  }
  SECTION("hole 30 merges hr 0..30") {
    auto r = plan_reads(items, PlanLimits{125, 2000, 30});
    CHECK(r.size() == 4);
  }
  SECTION("hole 2000 merges the coils too, but max_read 8 splits registers") {
    auto r = plan_reads(items, PlanLimits{8, 2000, 2000});
    REQUIRE(r.size() == 4);
    CHECK(r[0].count == 1898);
    CHECK(r[2].count == 7);
  }
  SECTION("max_read 1: one read per register point") {
    CHECK(plan_reads(items, PlanLimits{1, 1, 16}).size() == 6);
  }
}

TEST_CASE("iot::poll::plan_reads rejects a point larger than one request") {
  std::vector<PlanItem> items = {{PlanTable::holding_register, 0, 126}};
  CHECK_THROWS_AS(plan_reads(items, PlanLimits{}), iot::Error);
}
