// Site files with mqtt:// ports of simulated Acrel meters: parsing, meter
// expansion (count, SNs, names) and the errors with file:line:column.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "iot/config/site.hpp"
#include "iot/core/error.hpp"

#include "error_test_util.hpp"

using namespace iot::config;
namespace fs = std::filesystem;

namespace {
std::string error_of(const std::string& text) {
  return error_message(iot::ErrorKind::config, [&] { parse_site(text, "site.toml"); });
}

const char* k_port = "[[port]]\nname = \"cloud\"\nurl = \"mqtt://127.0.0.1:1883\"\n";
} // namespace

TEST_CASE("iot::config::mqtt port with meters") {
  const Site s = parse_site(std::string(k_port) + R"(heart = "2s"
qos = 0
keepalive = "20s"
username = "meter"
[[port.device]]
name = "m{n:03}"
count = 3
sn = "26010100000001"
fast = "1s"
up_interval = "10m"
product = "AWT100"
[[port.device.point]]
name = "ua"
generator = { kind = "constant", value = 230 }
[[port.device.point]]
name = "wh"
decimals = 1
generator = { kind = "ramp", from = 0, to = 100, period = "100s" }
[[port.device]]
name = "solo"
[[port.device.point]]
name = "hz"
[[port]]
url = "tcp://127.0.0.1:1502"
[[port.device]]
name = "modbus1"
unit = 1
[[port.device.point]]
name = "x"
addr = "hr:0"
)",
                            "site.toml");
  REQUIRE(s.ports.size() == 2);
  const Port& p = s.ports[0];
  REQUIRE(p.mqtt);
  CHECK_FALSE(s.ports[1].mqtt);
  CHECK(p.mqtt->broker == "mqtt://127.0.0.1:1883");
  CHECK(p.mqtt->heart == std::chrono::seconds(2));
  CHECK(p.mqtt->keepalive == std::chrono::seconds(20));
  CHECK(p.mqtt->qos == 0);
  CHECK(p.mqtt->username == "meter");
  REQUIRE(p.devices.size() == 2);
  const Device& d = p.devices[0];
  REQUIRE(d.meter);
  CHECK(d.meter->count == 3);
  CHECK(d.meter->product == "AWT100");
  CHECK(d.meter->up_interval == 10);
  CHECK(d.meter->fast == std::chrono::seconds(1));
  CHECK(d.meter->meter_name == "adw300");
  REQUIRE(d.points.size() == 2);
  CHECK(d.points[1].scaling.decimals == 1);
  REQUIRE(d.points[1].generator);
  CHECK(d.points[1].generator->kind == GeneratorSpec::Kind::ramp);
  const auto ids = d.meters();
  REQUIRE(ids.size() == 3);
  CHECK(ids[0].name == "m001");
  CHECK(ids[0].sn == "26010100000001");
  CHECK(ids[2].name == "m003");
  CHECK(ids[2].sn == "26010100000003");
  // An entry without sn continues after the previous entry's SNs.
  const auto solo = p.devices[1].meters();
  REQUIRE(solo.size() == 1);
  CHECK(solo[0].name == "solo");
  CHECK(solo[0].sn == "26010100000004");
  CHECK(p.devices[1].meter->product == "ADW300");
  CHECK(p.devices[1].meter->up_interval == 5);
  CHECK_FALSE(p.devices[1].meter->fast);
  CHECK(s.ports[1].devices[0].meters().empty());
}

TEST_CASE("iot::config::mqtt meters: 1,000 from one entry, leading zeros kept") {
  const Site s = parse_site(std::string(k_port) + R"([[port.device]]
name = "meter{n:04}"
count = 1000
sn = "00000000000998"
[[port.device.point]]
name = "ia"
)",
                            "site.toml");
  const auto ids = s.ports[0].devices[0].meters();
  REQUIRE(ids.size() == 1000);
  CHECK(ids[0].name == "meter0001");
  CHECK(ids[0].sn == "00000000000998");
  CHECK(ids[999].name == "meter1000");
  CHECK(ids[999].sn == "00000000001997");
}

TEST_CASE("iot::config::mqtt meters with the ADW300 model") {
  const Site s = load_site(fs::path(IOT_SOURCE_DIR) / "examples" / "acrel-site.toml");
  const Port* cloud = s.find_port("cloud");
  REQUIRE(cloud);
  REQUIRE(cloud->mqtt);
  const Device* d = s.find_device("incomer");
  REQUIRE(d);
  REQUIRE(d->meter);
  CHECK(d->meter->meter_name == "adw300");
  // Model points without an acrelHW key (i_sum, demand_p_max …) are left out;
  // thd_ua is published as thdua; freq became hz when the site gave an hz
  // point, ep_import stands for wh.
  CHECK(d->find_point("i_sum") == nullptr);
  CHECK(d->find_point("demand_p_max") == nullptr);
  REQUIRE(d->find_point("thd_ua"));
  CHECK(d->find_point("temp_a"));
  CHECK(d->find_point("freq") == nullptr);
  REQUIRE(d->find_point("hz"));
  CHECK(d->find_point("hz")->generator->kind == GeneratorSpec::Kind::walk);
  CHECK(d->find_point("ep_import") == nullptr); // replaced by the site's wh
  REQUIRE(d->find_point("wh"));
  CHECK(d->find_point("wh")->scaling.decimals == 2); // inherited from the model's ep_import
  CHECK(d->find_point("pt_ratio"));                  // published as pt
  CHECK(d->find_point("ct_ratio") == nullptr);       // replaced by the site's ct
  CHECK(s.find_device("floor{n:02}")->meters().size() == 20);
  CHECK(s.find_device("modbus-meter"));
}

TEST_CASE("iot::config::mqtt port errors") {
  const std::string port = k_port;
  const std::string meter = "[[port.device]]\nname = \"m\"\n[[port.device.point]]\nname = \"ua\"\n";
  CHECK(error_of(port + "interval = \"1s\"\n" + meter) ==
        "site.toml:4:12: port[0].interval: 'interval' is a Modbus setting; it does not apply to an mqtt port");
  CHECK(error_of(port + "heartt = 1\n" + meter) ==
        "site.toml:4:1: port[0]: unknown key 'heartt' (did you mean 'heart'?)");
  CHECK(error_of(port + "qos = 3\n" + meter) == "site.toml:4:7: port[0].qos: 3 is outside 0-2");
  CHECK(error_of(port + "ca_file = \"site.toml\"\n" + meter).find("site.toml:4:11: port[0].ca_file: ") == 0);
  CHECK(error_of("[[port]]\nurl = \"mqtts://h\"\ninsecure = true\ncert_file = \"/etc/hostname\"\n" + meter) ==
        "site.toml:4:13: port[0].cert_file: a client certificate needs both cert_file and key_file");
  CHECK(error_of("[[port]]\nurl = \"mqtt://h:99999\"\n" + meter).find("site.toml:2:7: port[0].url: ") == 0);
  CHECK(error_of(port + meter + port + meter) ==
        "site.toml:9:8: port[1].name: port name 'cloud' is used twice (first at site.toml:1:1)");
  CHECK(error_of(port + "[[port.device]]\nname = \"m.1\"\n[[port.device.point]]\nname = \"ua\"\n") ==
        "site.toml:5:8: port[0].device[0].name: must not contain '.' (links use device.point)");
  CHECK(error_of(port + "[[port.device]]\nname = \"m\"\nunit = 1\n") ==
        "site.toml:6:8: port[0].device[0].unit: 'unit' does not apply to a meter on an mqtt port");
  CHECK(error_of(port + "[[port.device]]\nname = \"m\"\ncount = 2\n[[port.device.point]]\nname = \"ua\"\n") ==
        "site.toml:5:8: port[0].device[0].name: count = 2 needs a {n} in the name (e.g. \"meter{n:04}\")");
  CHECK(error_of(port + "[[port.device]]\nname = \"m\"\nsn = \"12x\"\n") ==
        "site.toml:6:6: port[0].device[0].sn: '12x' is not a serial number of 1-18 digits");
  CHECK(error_of(port +
                 "[[port.device]]\nname = \"m{n}\"\nsn = \"98\"\ncount = 3\n[[port.device.point]]\nname = \"ua\"\n") ==
        "site.toml:6:6: port[0].device[0].sn: the last of 3 serial numbers from 98 has more than 2 digits");
  CHECK(error_of(port + "[[port.device]]\nname = \"m\"\n[[port.device.point]]\nname = \"uaa\"\n")
            .find("site.toml:7:8: port[0].device[0].point[0].name: 'uaa' is not a key of acrelHW data; "
                  "expected one of ua, ub, uc") == 0);
  CHECK(error_of(port + "[[port.device]]\nname = \"m\"\n") ==
        "site.toml:4:1: port[0].device[0]: a meter needs points: a model (e.g. model = \"ADW300\") or "
        "[[port.device.point]] entries");
  CHECK(error_of(port + "[[port.device]]\nname = \"m\"\nup_interval = \"90s\"\n") ==
        "site.toml:6:15: port[0].device[0].up_interval: must be whole minutes (upInterval is in minutes)");
  CHECK(error_of(port + "[[port.device]]\nname = \"m\"\nproduct = \"a/b\"\n[[port.device.point]]\nname = \"ua\"\n") ==
        "site.toml:6:11: port[0].device[0].product: must be one topic level: not empty, without '/', '+' or '#'");
  // SNs and names must not collide across entries (client ids and topics).
  CHECK(error_of(port +
                 "[[port.device]]\nname = \"a{n}\"\ncount = 5\nsn = \"10\"\n[[port.device.point]]\nname = \"ua\"\n" +
                 "[[port.device]]\nname = \"b\"\nsn = \"14\"\n[[port.device.point]]\nname = \"ua\"\n") ==
        "site.toml:12:6: port[0].device[1].sn: serial numbers 14-14 overlap those of 'a{n}' (at site.toml:4:1)");
  CHECK(error_of(port + "[[port.device]]\nname = \"a{n}\"\ncount = 2\n[[port.device.point]]\nname = \"ua\"\n" +
                 "[[port.device]]\nname = \"a2\"\n[[port.device.point]]\nname = \"ua\"\n") ==
        "site.toml:10:8: port[0].device[1].name: device name 'a2' is used twice (first at site.toml:4:1)");
}
