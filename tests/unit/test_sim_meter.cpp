// iot::sim::MeterValues / fleet_options: the values an mqtt:// meter publishes
// are its points' generators at the message's time, rounded like the protocol.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "iot/config/site.hpp"
#include "iot/core/error.hpp"
#include "iot/sim/meter.hpp"

using namespace iot;
using namespace std::chrono_literals;

namespace {
config::Site site(const std::string& points, const std::string& extra = "") {
  return config::parse_site("[[port]]\nurl = \"mqtt://127.0.0.1:1\"\nheart = \"3s\"\nqos = 0\n[[port.device]]\nname = "
                            "\"m{n}\"\ncount = 2\nsn = \"26010100000001\"\nfast = \"1s\"\n" +
                                extra + points,
                            "site.toml");
}
double at(const std::vector<std::pair<std::string, double>>& v, const std::string& key) {
  for (const auto& [k, x] : v)
    if (k == key) return x;
  FAIL("no key " << key);
  return 0;
}
} // namespace

TEST_CASE("iot::sim::MeterValues follow the generators") {
  const auto s = site(R"(
[[port.device.point]]
name = "ua"
generator = { kind = "constant", value = 230.04 }
[[port.device.point]]
name = "wh"
generator = { kind = "ramp", from = 0, to = 100, period = "100s" }
[[port.device.point]]
name = "p"
decimals = 1
generator = { kind = "link", point = "wh", factor = 2 }
[[port.device.point]]
name = "ia"
)");
  const auto& d = s.ports[0].devices[0];
  const TimePoint start = from_epoch_us(1'700'000'000'000'000);
  sim::MeterValues mv(d, 0, start);
  REQUIRE(mv.size() == 4);
  std::vector<std::pair<std::string, double>> v;
  mv.values(start + 12500ms, v);
  REQUIRE(v.size() == 4);
  CHECK(v[0].first == "ua");
  CHECK(at(v, "ua") == Approx(230.0)); // V: one decimal
  CHECK(at(v, "wh") == Approx(12.5));  // kWh: two decimals
  CHECK(at(v, "p") == Approx(25.0));   // link: wh × 2, one decimal as written
  CHECK(at(v, "ia") == 0);             // no generator
  v.clear();
  mv.values(start - 5s, v); // before the start: time 0
  CHECK(at(v, "wh") == 0);
  v.clear();
  mv.values(start + 150s, v); // the ramp starts over
  CHECK(at(v, "wh") == Approx(50.0));
}

TEST_CASE("iot::sim::MeterValues walks differ per meter") {
  const auto s = site(R"(
[[port.device.point]]
name = "ua"
generator = { kind = "walk", min = 200, max = 260, step = 1, value = 230, period = "1s" }
)");
  const auto& d = s.ports[0].devices[0];
  const TimePoint start = from_epoch_us(0);
  sim::MeterValues a(d, 0, start), b(d, 1, start), a2(d, 0, start);
  std::vector<std::pair<std::string, double>> va, vb, va2;
  a.values(start + 30s, va);
  b.values(start + 30s, vb);
  a2.values(start + 30s, va2);
  CHECK(va[0].second == va2[0].second); // deterministic
  CHECK(va[0].second != vb[0].second);  // seed + index
}

TEST_CASE("iot::sim::fleet_options of an mqtt port") {
  const auto s = site(R"(
[[port.device.point]]
name = "ua"
generator = { kind = "constant", value = 231 }
)",
                      "product = \"AWT100\"\nup_interval = 2\n");
  const auto o = sim::fleet_options(s.ports[0], from_epoch_us(0));
  CHECK(o.connect.broker == "mqtt://127.0.0.1:1");
  CHECK(o.heart == 3s);
  CHECK(o.qos == 0);
  REQUIRE(o.meter_list.size() == 2);
  CHECK(o.meters == 2);
  CHECK(o.meter_list[1].sn == "26010100000002");
  CHECK(o.meter_list[1].product == "AWT100");
  CHECK(o.meter_list[1].up_interval_minutes == 2);
  CHECK(o.meter_list[1].fast == std::chrono::milliseconds(1000));
  std::vector<std::pair<std::string, double>> v;
  o.meter_list[1].data(from_epoch_us(5'000'000), v);
  REQUIRE(v.size() == 1);
  CHECK(v[0] == std::pair<std::string, double>("ua", 231.0));
}

TEST_CASE("iot::sim::MeterValues refuses links to other devices") {
  const auto s = config::parse_site(R"([[port]]
url = "mqtt://h"
[[port.device]]
name = "a"
[[port.device.point]]
name = "ua"
[[port.device]]
name = "b"
[[port.device.point]]
name = "ub"
generator = { kind = "link", point = "a.ua" }
)",
                                    "site.toml");
  CHECK_THROWS_WITH(sim::MeterValues(s.ports[0].devices[1], 0, from_epoch_us(0)),
                    Catch::Contains("site.toml:11:13: generator.point: a meter on an mqtt port links only to its own"));
}

TEST_CASE("iot::sim::MeterValues fold di1-di4 into the DI word, keep alarm words apart, obey set") {
  const auto s = site(R"(
[[port.device.point]]
name = "di"
generator = { kind = "constant", value = 9 }
[[port.device.point]]
name = "di2"
generator = { kind = "constant", value = 1 }
[[port.device.point]]
name = "di4"
[[port.device.point]]
name = "thd_ua"
generator = { kind = "constant", value = 3.456 }
[[port.device.point]]
name = "alarm1_status"
generator = { kind = "constant", value = 0 }
)",
                      "format = \"point-id\"\n");
  const auto& d = s.ports[0].devices[0];
  REQUIRE(d.meter);
  CHECK(d.meter->format == "point-id");
  const TimePoint start = from_epoch_us(0);
  sim::MeterValues mv(d, 0, start);
  std::vector<std::pair<std::string, double>> v;
  mv.values(start + 1s, v);
  REQUIRE(v.size() == 2);                // di, thdua; the alarm word is not data
  CHECK(at(v, "di") == 3);               // 9 = 0b1001: DI2 set by its point, DI4 cleared by its point (no generator: 0)
  CHECK(at(v, "thdua") == Approx(3.46)); // % with two decimals
  std::vector<std::pair<std::string, double>> al;
  mv.alarms(start + 1s, al);
  REQUIRE(al.size() == 1);
  CHECK(al[0] == std::pair<std::string, double>("alarm1", 0));
  CHECK(mv.set("alarm1_status", 5));
  CHECK(mv.set("di4", 1));
  CHECK_FALSE(mv.set("nope", 1));
  al.clear();
  mv.alarms(start + 1s, al);
  CHECK(al[0].second == 5);
  v.clear();
  mv.values(start + 1s, v);
  CHECK(at(v, "di") == 11);
  CHECK(mv.get("thdua", start) == Approx(3.46)); // by key as well as by name
  CHECK(mv.set("di4", std::nullopt));            // back to its generator
  v.clear();
  mv.values(start + 1s, v);
  CHECK(at(v, "di") == 3);
}

TEST_CASE("iot::sim meters refuse an unknown data format") {
  CHECK_THROWS_WITH(site("[[port.device.point]]\nname = \"ua\"\n", "format = \"xml\"\n"),
                    Catch::Contains("format") && Catch::Contains("point-id"));
}
