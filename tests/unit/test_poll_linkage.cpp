#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "iot/config/site.hpp"
#include "iot/core/error.hpp"
#include "iot/poll/linkage.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/values/value_json.hpp"

using namespace iot::poll;

namespace {
std::string json_of(const iot::values::Value& v) {
  std::string out;
  iot::JsonWriter w(out);
  iot::values::write_json(w, v);
  return out;
}

// Two ports: gas detectors on one, relay modules on the other (linkage across ports).
const std::string k_site = R"(
[[port]]
name = "gas"
url = "tcp://127.0.0.1:1502"
[[port.device]]
name = "ctrl1"
unit = 1
[[port.device.point]]
name = "ch1"
addr = "hr:0"
alarm = { type = "HH", high = 25, high_high = 50 }
[[port.device.point]]
name = "ch2"
addr = "hr:1"
alarm = { type = "HH", high = 25, high_high = 50 }
[[port.device.point]]
name = "o2"
addr = "hr:2"
alarm = { type = "LL", low = 19.5 }

[[port]]
name = "relays"
url = "rtu+tcp://127.0.0.1:1503"
[[port.device]]
name = "relay1"
unit = 2
[[port.device.point]]
name = "k1"
addr = "coil:0"
writable = true
[[port.device.point]]
name = "k2"
addr = "coil:1"
writable = true
[[port.device.point]]
name = "speed"
addr = "hr:10"
writable = true

[[link]]
name = "fan"
when = ["ctrl1.ch1 >= H", "ctrl1.ch2 >= H"]
then = [{ device = "relay1", point = "k1", value = 1 }, { device = "relay1", point = "speed", value = 80, release = 20 }]

[[link]]
name = "siren"
when = "ctrl1.ch1 == HH"
then = [{ device = "relay1", point = "k2", value = true }, { device = "relay1", point = "k1", value = 1 }]
)";

std::vector<std::string> run(Linkage& l, std::vector<WriteCommand>& got,
                             std::vector<std::pair<std::string, AlarmLevel>> events) {
  std::vector<std::string> out;
  for (const auto& [pt, level] : events) {
    got.clear();
    l.on_alarm("ctrl1", pt, level);
    std::string line;
    for (const auto& c : got)
      line += (line.empty() ? "" : " ") + c.device + "." + c.point + "=" + json_of(c.value) + "(" + c.cause + ")";
    out.push_back(line);
  }
  return out;
}
} // namespace

TEST_CASE("iot::poll::Linkage many to many, released when the last link ends") {
  const auto site = iot::config::parse_site(k_site, "site.toml");
  REQUIRE(site.links.size() == 2);
  std::vector<WriteCommand> got;
  Linkage l(site.links, true, [&](WriteCommand c) { got.push_back(std::move(c)); });
  const auto out = run(l, got,
                       {
                           {"ch1", AlarmLevel::h},    // fan starts
                           {"ch2", AlarmLevel::h},    // fan already active: nothing
                           {"ch1", AlarmLevel::hh},   // siren starts (k1 again, held by both now)
                           {"ch1", AlarmLevel::h},    // siren ends: k2 released, k1 still held by fan
                           {"ch1", AlarmLevel::none}, // ch2 still high: fan stays
                           {"ch2", AlarmLevel::none}, // fan ends: k1 and speed released
                           {"o2", AlarmLevel::l},     // watched by no link
                       });
  CHECK(out[0] == "relay1.k1=1(link:fan) relay1.speed=80(link:fan)");
  CHECK(out[1] == "");
  CHECK(out[2] == "relay1.k2=true(link:siren) relay1.k1=1(link:siren)");
  CHECK(out[3] == "relay1.k2=false(link:siren:release)");
  CHECK(out[4] == "");
  CHECK(out[5] == "relay1.k1=0(link:fan:release) relay1.speed=20(link:fan:release)");
  CHECK(out[6] == "");
  CHECK(l.active().empty());
}

TEST_CASE("iot::poll::Linkage without --allow-write writes nothing") {
  const auto site = iot::config::parse_site(k_site, "site.toml");
  std::vector<WriteCommand> got;
  Linkage l(site.links, false, [&](WriteCommand c) { got.push_back(std::move(c)); });
  l.on_alarm("ctrl1", "ch1", AlarmLevel::hh);
  CHECK(got.empty());
  CHECK(l.active() == std::vector<std::string>{"fan", "siren"});
}

TEST_CASE("iot::poll::Linkage condition levels") {
  iot::config::LinkCondition c;
  c.op = iot::config::LinkCondition::Op::at_least;
  c.level = "H";
  CHECK(Linkage::holds(c, AlarmLevel::h));
  CHECK(Linkage::holds(c, AlarmLevel::hh));
  CHECK_FALSE(Linkage::holds(c, AlarmLevel::l));
  CHECK_FALSE(Linkage::holds(c, AlarmLevel::none));
  c.level = "LL";
  CHECK(Linkage::holds(c, AlarmLevel::ll));
  CHECK_FALSE(Linkage::holds(c, AlarmLevel::l));
  c.op = iot::config::LinkCondition::Op::equal;
  c.level = "H";
  CHECK_FALSE(Linkage::holds(c, AlarmLevel::hh));
  c.op = iot::config::LinkCondition::Op::any;
  CHECK(Linkage::holds(c, AlarmLevel::l));
  CHECK_FALSE(Linkage::holds(c, AlarmLevel::none));
}

TEST_CASE("iot::config::[[link]] errors name file:line:column") {
  const auto error_of = [](const std::string& link) {
    try {
      iot::config::parse_site(k_site.substr(0, k_site.find("[[link]]")) + link, "site.toml");
    } catch (const iot::Error& e) {
      CHECK(e.kind() == iot::ErrorKind::config);
      return std::string(e.what());
    }
    return std::string();
  };
  // The link text starts at line 40 of the site.
  CHECK(
      error_of("[[link]]\nwhen = \"ctrl9.ch1 >= H\"\nthen = [{ device = \"relay1\", point = \"k1\", value = 1 }]\n") ==
      "site.toml:41:8: link[0].when: 'ctrl9.ch1 >= H': no Modbus device 'ctrl9' in this site");
  CHECK(error_of("[[link]]\nwhen = \"ctrl1.ch9\"\nthen = [{ device = \"relay1\", point = \"k1\", value = 1 }]\n") ==
        "site.toml:41:8: link[0].when: 'ctrl1.ch9': device 'ctrl1' has no point 'ch9'");
  CHECK(
      error_of("[[link]]\nwhen = \"ctrl1.ch1 >= X\"\nthen = [{ device = \"relay1\", point = \"k1\", value = 1 }]\n") ==
      "site.toml:41:8: link[0].when: 'ctrl1.ch1 >= X': the level must be H, HH, L or LL");
  CHECK(error_of("[[link]]\nwhen = \"ctrl1.o2 >= H\"\nthen = [{ device = \"relay1\", point = \"k1\", value = 1 }]\n") ==
        "site.toml:41:8: link[0].when: 'ctrl1.o2 >= H': the LL alarm of ctrl1.o2 never reaches level H");
  CHECK(error_of("[[link]]\nwhen = \"ctrl1.ch1\"\nthen = [{ device = \"relay1\", point = \"k3\", value = 1 }]\n") ==
        "site.toml:42:38: link[0].then[0].point: device 'relay1' has no point 'k3'");
  CHECK(error_of("[[link]]\nwhen = \"ctrl1.ch1\"\nthen = [{ device = \"ctrl1\", point = \"ch2\", value = 1 }]\n") ==
        "site.toml:42:37: link[0].then[0].point: ctrl1.ch2 is not writable: add writable = true to the point");
  CHECK(error_of("[[link]]\nwhen = \"ctrl1.ch1\"\nthen = [{ device = \"relay1\", point = \"k1\" }]\n") ==
        "site.toml:42:9: link[0].then[0]: missing key 'value' (what to write while the link is active)");
  CHECK(
      error_of("[[link]]\nwhen = \"ctrl1.ch1\"\nthen = [{ device = \"relay1\", point = \"k1\", value = \"on\" }]\n") ==
      "site.toml:42:52: link[0].then[0].value: expected a number or true/false, got a string");
  CHECK(error_of("[[link]]\nwhen = \"ctrl1.ch1\"\n") == "site.toml:40:1: link[0]: missing key 'then' (e.g. then = [{ "
                                                        "device = \"relay1\", point = \"k1\", value = 1 }])");
  CHECK(error_of("[[link]]\nwhen = \"ctrl1.ch1\"\nthem = 1\n") ==
        "site.toml:42:1: link[0]: unknown key 'them' (did you mean 'then'?)");
  CHECK(error_of("[[link]]\nwhen = \"ctrl1.ch1\"\nthen = [{ device = \"relay1\", point = \"k1\", value = 1 }]\n") ==
        "");
}
