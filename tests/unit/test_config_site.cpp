#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "iot/config/site.hpp"
#include "iot/core/error.hpp"

using namespace iot::config;
namespace fs = std::filesystem;

namespace {
const fs::path k_examples = fs::path(IOT_SOURCE_DIR) / "examples";

// A temporary directory with the given files; removed at the end of the test.
struct TempDir {
  fs::path dir;
  TempDir() {
    char tmpl[] = "/tmp/iot-site-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path p = dir / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }
};

// The error message parse_site gives for `text` (named site.toml), or "" when it loads.
std::string error_of(const std::string& text) {
  try {
    parse_site(text, "site.toml");
  } catch (const iot::Error& e) {
    CHECK(e.kind() == iot::ErrorKind::config);
    return e.what();
  }
  return "";
}
} // namespace

TEST_CASE("iot::config::examples/gas-site.toml loads") {
  const Site site = load_site(k_examples / "gas-site.toml");
  CHECK(site.name == "gas-plant");
  REQUIRE(site.ports.size() == 3);
  const Port& bus1 = site.ports[0];
  CHECK(bus1.name == "bus1");
  CHECK(bus1.target.pty);
  CHECK(bus1.target.serial.baud == 9600);
  CHECK(bus1.settings.offline_after == 3);
  REQUIRE(bus1.devices.size() == 4);
  const Device& ctrl1 = bus1.devices[0];
  CHECK(ctrl1.model == "FC1003-8");
  REQUIRE(ctrl1.points.size() == 8);
  CHECK(ctrl1.points[7].name == "ch8");
  CHECK(ctrl1.points[7].ref.addr == 7);
  CHECK_FALSE(ctrl1.points[7].enabled);
  CHECK(ctrl1.points[0].generator->kind == GeneratorSpec::Kind::ramp);
  CHECK(ctrl1.points[0].alarm->high == 25);
  CHECK(ctrl1.points[0].scaling.decimals == 1);
  CHECK(ctrl1.points[3].generator->schedule.size() == 4);
  CHECK(ctrl1.effective_max_read(bus1.settings) == 8);
  // FC1003-16 as two halves
  CHECK(bus1.devices[2].points.front().name == "ch9");
  CHECK(bus1.devices[2].points.back().name == "ch16");
  CHECK(bus1.devices[2].points.back().ref.addr == 7);
  CHECK(bus1.devices[3].points[0].alarm->type == AlarmRule::Type::ll);
  // display board: 64 channels, 21-64 disabled
  const Device* display = site.find_device("display");
  REQUIRE(display);
  CHECK(display->points.size() == 64);
  CHECK(display->find_point("ch20")->enabled);
  CHECK_FALSE(display->find_point("ch21")->enabled);
  CHECK_FALSE(display->find_point("ch64")->enabled);
  CHECK(display->find_point("ch64")->ref.addr == 63);
  // units repeat across ports
  CHECK(site.ports[1].find_device(1)->name == "display");
  const Device* gate2 = site.find_device("gate2");
  REQUIRE(gate2);
  REQUIRE(gate2->faults.size() == 1);
  CHECK(gate2->faults[0].kind == FaultSpec::Kind::busy);
  CHECK(gate2->faults[0].code == 6);
  CHECK(gate2->faults[0].every == 5);
  CHECK(site.ports[2].target.port == 15020);
}

TEST_CASE("iot::config::examples/energy-site.toml loads") {
  const Site site = load_site(k_examples / "energy-site.toml");
  REQUIRE(site.ports.size() == 2);
  CHECK(site.ports[0].target.scheme == iot::transport::Scheme::rtu_over_tcp);
  CHECK(site.ports[0].settings.max_read == 60);
  const Device* m = site.find_device("meter-main");
  REQUIRE(m);
  const Point* p = m->find_point("p");
  REQUIRE(p);
  CHECK(p->format.type == iot::values::ValueType::i32);
  CHECK(p->ref.addr == 36);
  CHECK(p->count() == 2);
  CHECK(p->scaling.decimals == 3);
  const Point* di3 = m->find_point("di3");
  REQUIRE(di3);
  CHECK(di3->format.type == iot::values::ValueType::bit);
  CHECK(di3->format.bit == 2);
  CHECK(m->find_point("do1")->writable);
  CHECK(site.find_device("meter-office")->find_point("di_word_bcd")->format.type == iot::values::ValueType::bcd16);
  CHECK(site.models.count("ADW300") == 1);
}

TEST_CASE("iot::config::broken site files") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      // typo in a key, with a suggestion; position of the key
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\n[[port.device]]\nname = \"b\"\n  unti = "
       "2\n",
       "site.toml:8:3: port[0].device[1]: unknown key 'unti' (did you mean 'unit'?)"},
      {"[sitee]\nname = \"x\"\n", "site.toml:1:2: (top level): unknown key 'sitee' (did you mean 'site'?)"},
      {"[defaults]\nintervall = \"1s\"\n",
       "site.toml:2:1: defaults: unknown key 'intervall' (did you mean 'interval'?)"},
      {"[[port]]\nurl = \"tcp://h\"\ncolour = 1\n", "site.toml:3:1: port[0]: unknown key 'colour'"},
      // TOML syntax
      {"[[port]\n", "site.toml:1:8: Error while parsing table header: expected ']', saw '\\n'"},
      // types and ranges
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = \"1\"\n",
       "site.toml:5:8: port[0].device[0].unit: expected an integer, got a string"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 0\n",
       "site.toml:5:8: port[0].device[0].unit: unit id 0 is the broadcast address; use 1-247 or set allow_reserved = "
       "true on the port"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 248\n",
       "site.toml:5:8: port[0].device[0].unit: unit id 248 is reserved; use 1-247 or set allow_reserved = true on the "
       "port"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 256\n",
       "site.toml:5:8: port[0].device[0].unit: 256 is outside 0-255"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\n",
       "site.toml:3:1: port[0].device[0]: missing key 'unit'"},
      {"[[port]]\nurl = \"tcp://h\"\nmax_read = 126\n", "site.toml:3:12: port[0].max_read: 126 is outside 1-125"},
      {"[defaults]\ntimeout = \"soon\"\n",
       "site.toml:2:11: defaults.timeout: 'soon' is not a duration (e.g. \"500ms\", \"1s\", \"2m\", \"1h\")"},
      {"[[port]]\nurl = \"tcp://h:99999\"\n",
       "site.toml:2:7: port[0].url: invalid target 'tcp://h:99999': port '99999' is not a number from 0 to 65535"},
      {"[[port]]\nname = \"p\"\n", "site.toml:1:1: port[0]: missing key 'url'"},
      // uniqueness
      {"[[port]]\nname = \"a\"\nurl = \"rtu:/dev/ttyUSB0\"\n[[port]]\nname = \"b\"\nurl = "
       "\"rtu:/dev/ttyUSB0?baud=9600\"\n",
       "site.toml:6:7: port[1].url: serial device /dev/ttyUSB0 is already used by port 'a' (at site.toml:1:1)"},
      {"[[port]]\nname = \"a\"\nurl = \"ascii:/dev/ttyS1\"\n[[port]]\nname = \"b\"\nurl = \"rtu:/dev/ttyS1\"\n",
       "site.toml:6:7: port[1].url: serial device /dev/ttyS1 is already used by port 'a' (at site.toml:1:1)"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\n[[port.device]]\nname = \"b\"\nunit = "
       "1\n",
       "site.toml:8:8: port[0].device[1].unit: unit id 1 is already used on this port by 'a' (at site.toml:3:1)"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\n[[port]]\nurl = "
       "\"tcp://g\"\n[[port.device]]\n"
       "name = \"a\"\nunit = 1\n",
       "site.toml:9:8: port[1].device[0].name: device name 'a' is used twice (first at site.toml:3:1)"},
      {"[[port]]\nname = \"p\"\nurl = \"tcp://h\"\n[[port]]\nname = \"p\"\nurl = \"tcp://g\"\n",
       "site.toml:5:8: port[1].name: port name 'p' is used twice (first at site.toml:1:1)"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port]]\nurl = \"tcp://h\"\n",
       "site.toml:4:7: port[1].url: port name 'tcp://h' is used twice (first at site.toml:1:1)"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a.b\"\nunit = 1\n",
       "site.toml:4:8: port[0].device[0].name: must not contain '.' (links use device.point)"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"\"\nunit = 1\n",
       "site.toml:4:8: port[0].device[0].name: must not be empty"},
      // models
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\nmodel = \"FC1003-9\"\n",
       "site.toml:6:9: port[0].device[0].model: unknown model 'FC1003-9' (did you mean 'FC1003-1'?)"},
      // points
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:65535\"\ntype = \"f32\"\n",
       "site.toml:3:1: model[0].point[0]: point 'x' at hr:65535 needs 2 registers and runs past address 65535"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\ntype = \"float33\"\n",
       "site.toml:6:8: model[0].point[0].type: unknown type 'float33' (did you mean 'float32'?); expected u16, i16, "
       "u32, i32, u64, i64, f16, f32, f64, bit, string, bcd16 or bcd32"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\norder = \"ACBD\"\n",
       "site.toml:6:9: model[0].point[0].order: unknown order 'ACBD'; expected ABCD, CDAB, BADC or DCBA"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:70000\"\n",
       "site.toml:5:8: model[0].point[0].addr: invalid address 'hr:70000': the address must be a number from 0 to "
       "65535 "
       "(zero-based)"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0:4\"\n",
       "site.toml:5:8: model[0].point[0].addr: 'hr:0:4': addr takes no count; the type sets the width"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\n",
       "site.toml:3:1: model[0].point[0]: point 'x' needs 'addr' (e.g. \"hr:0\")"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"ir:0\"\nwritable = true\n",
       "site.toml:3:1: model[0].point[0]: point 'x' at ir:0 cannot be writable: input registers and discrete inputs "
       "are read-only"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"coil:0\"\ntype = \"u16\"\n",
       "site.toml:3:1: model[0].point[0]: point 'x' at coil:0 is a coil: its type must be bit, not u16"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"s\"\naddr = \"hr:0\"\ntype = \"string\"\n",
       "site.toml:3:1: model[0].point[0]: point 's' of type string needs 'length' (characters)"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"ch\"\naddr = \"hr:0\"\nrepeat = 4\n",
       "site.toml:4:8: model[0].point[0].name: repeat = 4 needs a {n} in the name (e.g. \"ch{n}\")"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"ch{n}\"\naddr = \"hr:0\"\nrepeat = 2\n[[model.point]]\nname "
       "= "
       "\"ch2\"\naddr = \"hr:9\"\n",
       "site.toml:7:1: model[0]: point name 'ch2' is used twice (first at site.toml:3:1)"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\ndecimals = 12\n",
       "site.toml:6:12: model[0].point[0].decimals: 12 is outside 0-9"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nscale = 0\n",
       "site.toml:6:9: model[0].point[0].scale: must not be 0"},
      // alarms
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nalarm = { type = \"HH\", high = 50, "
       "high_high = 25 }\n",
       "site.toml:6:9: model[0].point[0].alarm: high (50) must not be above high_high (25)"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nalarm = { type = \"LL\", low = 18, "
       "low_low = 19.5 }\n",
       "site.toml:6:9: model[0].point[0].alarm: low (18) must not be below low_low (19.5)"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nalarm = { type = \"HL\", low = 30, "
       "high = 20 }\n",
       "site.toml:6:9: model[0].point[0].alarm: low (30) must be below high (20)"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nalarm = { type = \"HX\", high = 1 }\n",
       "site.toml:6:18: model[0].point[0].alarm.type: unknown alarm type 'HX' (did you mean 'hh'?); expected hh, ll, "
       "hl or window"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nalarm = { type = \"WINDOW\", min = "
       "50, max = 10 }\n",
       "site.toml:6:9: model[0].point[0].alarm: min (50) must be below max (10)"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nalarm = { type = \"window\", min = "
       "5 }\n",
       "site.toml:6:9: model[0].point[0].alarm: alarm type WINDOW needs both 'min' and 'max'"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nalarm = { type = \"window\", min = "
       "5, max = 9, high = 7 }\n",
       "site.toml:6:53: model[0].point[0].alarm.high: alarm type WINDOW takes 'min' and 'max', not high/low limits"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nalarm = { type = \"HH\", high = 5, "
       "max = 9 }\n",
       "site.toml:6:40: model[0].point[0].alarm.max: 'max' is a limit of alarm type WINDOW (this alarm is HH)"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nalarm = { type = \"LL\", high = 1 }\n",
       "site.toml:6:9: model[0].point[0].alarm: alarm type LL needs 'low' and/or 'low_low'"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nalarm = { hihg = 1 }\n",
       "site.toml:6:11: model[0].point[0].alarm: unknown key 'hihg' (did you mean 'high'?)"},
      // generators
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\ngenerator = { kind = \"rampe\", to = "
       "1 "
       "}\n",
       "site.toml:6:22: model[0].point[0].generator.kind: unknown generator kind 'rampe' (did you mean 'ramp'?); "
       "expected constant, ramp, sine, walk, step, replay or link"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\ngenerator = { kind = \"ramp\", to = 1 "
       "}\n",
       "site.toml:6:13: model[0].point[0].generator: a ramp needs 'period'"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\ngenerator = { kind = \"constant\", "
       "period = \"1s\" }\n",
       "site.toml:6:34: model[0].point[0].generator: unknown key 'period'"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\ngenerator = { kind = \"sine\", min = "
       "5, "
       "max = 1, period = 1 }\n",
       "site.toml:6:13: model[0].point[0].generator: min (5) is above max (1)"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\ngenerator = { kind = \"step\", "
       "schedule "
       "= [[\"10s\", 1], [\"5s\", 2]] }\n",
       "site.toml:6:54: model[0].point[0].generator.schedule[1]: schedule times must not go backwards"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\ngenerator = { kind = \"step\", "
       "schedule = [[\"1s\", \"high\"]] }\n",
       "site.toml:6:49: model[0].point[0].generator.schedule[0]: expected a number as the value, got a string"},
      // numbers and durations: integers or floats, finite, durations within range
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nscale = \"big\"\n",
       "site.toml:6:9: model[0].point[0].scale: expected a number, got a string"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nscale = inf\n",
       "site.toml:6:9: model[0].point[0].scale: must be a finite number"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nstorage_period = true\n",
       "site.toml:6:18: model[0].point[0].storage_period: expected a duration such as \"1s\" or a number of seconds, "
       "got a boolean"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\nstorage_period = -1.5\n",
       "site.toml:6:18: model[0].point[0].storage_period: a duration must be from 0 to 1e9 seconds"},
      {"[[model]]\nname = \"m\"\n[[model.point]]\nname = \"x\"\naddr = \"hr:0\"\ngenerator = { kind = \"replay\", file "
       "= "
       "\"nope.csv\", column = \"v\" }\n",
       "site.toml:6:39: model[0].point[0].generator.file: cannot read nope.csv"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\n[[port.device.point]]\nname = "
       "\"x\"\naddr = "
       "\"hr:0\"\ngenerator = { kind = \"link\", point = \"y\" }\n",
       "site.toml:9:13: a.x.generator.point: linked point 'y' does not exist"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\n[[port.device.point]]\nname = "
       "\"x\"\naddr = "
       "\"hr:0\"\ngenerator = { kind = \"link\", point = \"y\" }\n[[port.device.point]]\nname = \"y\"\naddr = "
       "\"hr:1\"\ngenerator = { kind = \"link\", point = \"a.x\" }\n",
       "site.toml:9:13: a.x.generator: links form a cycle through 'a.x'"},
      // faults
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\nfault = { kind = \"timout\" }\n",
       "site.toml:6:18: port[0].device[0].fault.kind: unknown fault kind 'timout' (did you mean 'timeout'?); expected "
       "timeout, exception, bad_crc, truncate, split, garbage, slow, delay, wrong_unit, wrong_tid, drop, flap or busy"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\nfault = { kind = \"timeout\", code = 2 "
       "}\n",
       "site.toml:6:36: port[0].device[0].fault.code: 'code' does not apply to a timeout fault"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\nfault = [{ kind = \"slow\" }, { kind = "
       "\"flap\", offline = \"1s\" }]\n",
       "site.toml:6:10: port[0].device[0].fault[0]: a slow fault needs 'ms_per_byte'"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\nfault = { kind = \"exception\", code = "
       "\"illegal_data_adress\" }\n",
       "site.toml:6:38: port[0].device[0].fault.code: unknown exception 'illegal_data_adress' (did you mean "
       "'illegal_data_address'?); expected illegal_function, illegal_data_address, illegal_data_value, "
       "server_device_failure, acknowledge, server_device_busy, negative_acknowledge, memory_parity_error, "
       "gateway_path_unavailable or gateway_target_failed_to_respond"},
      {"[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\nfault = { kind = \"delay\", delay = "
       "\"1s\", "
       "addr = \"hr:65535:2\" }\n",
       "site.toml:6:48: port[0].device[0].fault.addr: invalid address 'hr:65535:2': 2 items from address 65535 run "
       "past 65535"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(error_of(c.text) == c.message);
  }
}

TEST_CASE("iot::config::model files, catalog and overrides") {
  TempDir tmp;
  tmp.write("lib/meter.toml", R"(
[[model]]
name = "M1"
max_read = 10
[[model.point]]
name = "v{n:02}"
repeat = 3
addr = "ir:100"
type = "f32"
order = "CDAB"
uom = "V"
[[model.point]]
name = "serial"
addr = "hr:10"
type = "string"
length = 7
byte_order = "low_first"
[[model.point]]
name = "flags{n0}"
repeat = 2
addr = "hr:20"
type = "bit"
bit = 4
stride = 0
)");
  tmp.write("catalog/other.toml", "[[model]]\nname = \"CAT\"\n[[model.point]]\nname = \"c\"\naddr = \"coil:3\"\n");
  const fs::path site = tmp.write("sites/s.toml", R"(
[site]
name = "t"
models = ["../lib/meter.toml"]
[defaults]
interval = 2
timeout = "250ms"
rts = "up"
allow_reserved = true
unknown_unit = "gateway_target_failed_to_respond"
[[port]]
name = "p1"
url = "rtu:/dev/ttyS0?baud=9600"
retries = 3
[[port.device]]
name = "d1"
unit = 248
model = "M1"
max_read = 4
  [[port.device.point]]
  name = "v02"
  decimals = 2
  alarm = { high = 250 }
  [[port.device.point]]
  name = "extra"
  addr = "40005"
  type = "i16"
  scale = 0.5
  zero = 2
  offset = -1
  writable = true
  storage_period = "10m"
  report_deadband = 0.5
[[port]]
name = "p2"
url = "rtu:/dev/ttyS1?rts=down"
unknown_unit = "none"
[[port.device]]
name = "d2"
unit = 1
model = "CAT"
fault = [{ kind = "flap", offline = "5s", period = "20s" }, { kind = "exception", code = 2, addr = "hr:0:4", every = 3, probability = 0.5 }]
)");
  setenv("IOT_MODELS", (tmp.dir / "catalog").c_str(), 1);
  const Site s = load_site(site);
  unsetenv("IOT_MODELS");
  CHECK(s.name == "t");
  REQUIRE(s.ports.size() == 2);
  const Port& p1 = s.ports[0];
  CHECK(p1.settings.interval == std::chrono::seconds(2));
  CHECK(p1.settings.timeout == std::chrono::milliseconds(250));
  CHECK(p1.settings.retries == 3);
  CHECK(p1.settings.unknown_unit == 0x0B);
  CHECK(p1.target.serial.rts == iot::transport::Rts::up);           // from [defaults]
  CHECK(s.ports[1].target.serial.rts == iot::transport::Rts::down); // the url wins
  CHECK_FALSE(s.ports[1].settings.unknown_unit);
  CHECK(s.ports[1].settings.retries == 1); // default, not p1's
  const Device& d1 = p1.devices[0];
  CHECK(d1.unit == 248);
  CHECK(d1.effective_max_read(p1.settings) == 4);
  REQUIRE(d1.points.size() == 7);
  CHECK(d1.points[0].name == "v01");
  CHECK(d1.points[1].ref == iot::values::Ref{iot::values::Table::input_register, 102}); // f32: 2 registers apart
  CHECK(d1.points[1].scaling.decimals == 2);                                            // overridden
  CHECK(d1.points[1].format.order == iot::values::WordOrder::cdab);                     // kept from the model
  CHECK(d1.points[1].alarm->type == AlarmRule::Type::hh);                               // inferred
  CHECK(d1.points[2].name == "v03");
  CHECK_FALSE(d1.points[2].scaling.decimals);
  CHECK(d1.points[3].format.byte_order == iot::values::ByteOrder::low_first);
  CHECK(d1.points[3].count() == 4);
  CHECK(d1.points[4].name == "flags0");
  CHECK(d1.points[5].name == "flags1");
  CHECK(d1.points[5].ref.addr == 20); // stride 0: bits of one register
  const Point& extra = d1.points[6];
  CHECK(extra.name == "extra");
  CHECK(extra.ref.addr == 4);
  CHECK(extra.writable);
  CHECK(extra.scaling.scale == 0.5);
  CHECK(extra.scaling.zero == 2);
  CHECK(extra.scaling.offset == -1);
  CHECK(extra.storage_period == std::chrono::minutes(10));
  CHECK(extra.report_deadband == 0.5);
  CHECK(extra.pos.line > 0);
  CHECK(extra.pos.file == site.string());
  const Device& d2 = s.ports[1].devices[0];
  REQUIRE(d2.points.size() == 1);
  CHECK(d2.points[0].format.type == iot::values::ValueType::bit); // coil defaults to bit
  REQUIRE(d2.faults.size() == 2);
  CHECK(d2.faults[0].offline == std::chrono::seconds(5));
  CHECK(d2.faults[0].online == std::chrono::seconds(15));
  CHECK(d2.faults[1].code == 2);
  CHECK(d2.faults[1].every == 3);
  CHECK(d2.faults[1].probability == 0.5);
  CHECK(d2.faults[1].addr == iot::values::Range{iot::values::Table::holding_register, 0, 4});
  CHECK(s.models.count("CAT") == 1);
  CHECK(s.find_port("p2") == &s.ports[1]);
  const Port* where = nullptr;
  CHECK(s.find_device("d2", &where) == &d2);
  CHECK(where == &s.ports[1]);

  // load_models on its own
  const auto models = load_models(tmp.dir / "lib/meter.toml");
  CHECK(models.at("M1").points.size() == 6);
  CHECK(models.at("M1").max_read == 10);
}

TEST_CASE("iot::config::replay files and errors in other files") {
  TempDir tmp;
  tmp.write("data/levels.csv", "t,level\n0,1\n1,2\n");
  const fs::path site = tmp.write("s.toml", R"([[port]]
url = "tcp://h"
[[port.device]]
name = "a"
unit = 1
[[port.device.point]]
name = "x"
addr = "hr:0"
generator = { kind = "replay", file = "data/levels.csv", column = "level", time_column = "t", loop = false }
)");
  const Site s = load_site(site);
  const GeneratorSpec& g = *s.ports[0].devices[0].points[0].generator;
  CHECK(g.file == tmp.dir / "data/levels.csv");
  CHECK(g.column == "level");
  CHECK(g.time_column == "t");
  CHECK_FALSE(g.loop);

  // an error inside a model file names that file
  tmp.write("bad.toml", "[[model]]\nname = \"B\"\n[[model.point]]\nname = \"p\"\nadr = \"hr:0\"\n");
  const fs::path s2 = tmp.write("s2.toml", "[site]\nmodels = [\"bad.toml\"]\n");
  CHECK_THROWS_WITH(load_site(s2), (tmp.dir / "bad.toml").string() +
                                       ":5:1: model[0].point[0]: unknown key 'adr' (did you mean 'addr'?)");
  const fs::path s3 = tmp.write("s3.toml", "[site]\nmodels = [\"missing.toml\"]\n");
  CHECK_THROWS_WITH(load_site(s3), s3.string() + ":2:11: site.models[0]: cannot read model file " +
                                       (tmp.dir / "missing.toml").string());
  CHECK_THROWS_WITH(load_site(tmp.dir / "nope.toml"), (tmp.dir / "nope.toml").string() + ": cannot read the file");
  // the same model twice
  tmp.write("m.toml", "[[model]]\nname = \"M\"\n");
  const fs::path s4 = tmp.write("s4.toml", "[site]\nmodels = [\"m.toml\"]\n[[model]]\nname = \"M\"\n");
  CHECK_THROWS_WITH(load_site(s4),
                    Catch::Contains("model 'M' is defined twice (first at " + (tmp.dir / "m.toml").string() + ":1:1)"));
}

TEST_CASE("iot::config::expand_name") {
  CHECK(expand_name("ch{n}", 3) == "ch3");
  CHECK(expand_name("ch{n0}", 3) == "ch2");
  CHECK(expand_name("ch{n:02}", 3) == "ch03");
  CHECK(expand_name("ch{n0:03}", 1) == "ch000");
  CHECK(expand_name("{n}-{n}", 5) == "5-5");
  CHECK(expand_name("plain", 5) == "plain");
  CHECK(expand_name("odd{x}", 5) == "odd{x}");
  CHECK(expand_name("open{n", 5) == "open{n");
}

TEST_CASE("iot::config::empty and minimal sites") {
  const Site s = parse_site("", "empty.toml");
  CHECK(s.ports.empty());
  CHECK(s.name == "empty");
  const Site t = parse_site("[[port]]\nurl = \"tcp://127.0.0.1:1502\"\n", "x/min.toml");
  REQUIRE(t.ports.size() == 1);
  CHECK(t.ports[0].name == "tcp://127.0.0.1:1502");
  CHECK(t.ports[0].settings.max_read == 125);
}

TEST_CASE("iot::config::writable, read_only and garbage after") {
  const Site s = parse_site(R"([[port]]
url = "tcp://127.0.0.1:0"
[[port.device]]
name = "a"
unit = 1
fault = { kind = "garbage", bytes = 3, after = true }
[[port.device.point]]
name = "free"
addr = "hr:0"
[[port.device.point]]
name = "locked"
addr = "hr:1"
writable = false
[[port.device.point]]
name = "setpoint"
addr = "hr:2"
writable = true
)",
                            "w.toml");
  CHECK(s.ports[0].target.port == 0); // a server binds any free port
  const Device& d = s.ports[0].devices[0];
  CHECK_FALSE(d.points[0].writable);
  CHECK_FALSE(d.points[0].read_only);
  CHECK_FALSE(d.points[1].writable);
  CHECK(d.points[1].read_only);
  CHECK(d.points[2].writable);
  CHECK_FALSE(d.points[2].read_only);
  CHECK(d.faults[0].after);
  CHECK(d.faults[0].bytes == 3);
  CHECK_THROWS_WITH(parse_site("[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"a\"\nunit = 1\nfault = { kind = "
                               "\"delay\", delay = 1, after = true }\n",
                               "site.toml"),
                    "site.toml:6:46: port[0].device[0].fault.after: 'after' does not apply to a delay fault");
}

TEST_CASE("iot::config::walk and replay options") {
  TempDir tmp;
  tmp.write("v.jsonl", "{\"value\": 1}\n");
  const Site s = load_site(tmp.write("s.toml", R"([[port]]
url = "tcp://h"
[[port.device]]
name = "a"
unit = 1
[[port.device.point]]
name = "w"
addr = "hr:0"
generator = { kind = "walk", min = 10, max = 20, step = 0.5, value = 15, period = "200ms" }
[[port.device.point]]
name = "r"
addr = "hr:1"
generator = { kind = "replay", file = "v.jsonl", period = "2s" }
)"));
  const auto& w = *s.ports[0].devices[0].points[0].generator;
  CHECK(w.value == 15);
  CHECK(w.period == std::chrono::milliseconds(200));
  CHECK(w.seed == 1);
  const auto& r = *s.ports[0].devices[0].points[1].generator;
  CHECK(r.column.empty());
  CHECK(r.period == std::chrono::seconds(2));
  CHECK(r.loop);
}

TEST_CASE("iot::config::catalog search order, no parent directories") {
  TempDir tmp;
  const std::string model = "[[model]]\nname = \"{}\"\n[[model.point]]\nname = \"p\"\naddr = \"hr:0\"\n";
  const auto model_named = [&](const std::string& name) {
    std::string t = model;
    t.replace(t.find("{}"), 2, name);
    return t;
  };
  tmp.write("models/up.toml", model_named("UP")); // above the site's folder: never read
  tmp.write("site/models/beside.toml", model_named("SAME") + "\n" + model_named("BESIDE"));
  tmp.write("env/e.toml", model_named("SAME")); // $IOT_MODELS wins over beside
  tmp.write("xdg/iot/models/x.toml", model_named("XDG"));
  const fs::path site = tmp.write("site/s.toml", "");
  const auto device = [](const std::string& m) {
    return "[[port]]\nurl = \"tcp://h\"\n[[port.device]]\nname = \"d\"\nunit = 1\nmodel = \"" + m + "\"\n";
  };
  setenv("IOT_MODELS", (tmp.dir / "env").c_str(), 1);
  setenv("XDG_DATA_HOME", (tmp.dir / "xdg").c_str(), 1);
  const auto dirs = catalog_dirs(site.parent_path(), {});
  REQUIRE(dirs.size() >= 3);
  CHECK(dirs[0] == tmp.dir / "env");
  CHECK(dirs[1] == tmp.dir / "site" / "models");
  CHECK(dirs[2] == tmp.dir / "xdg" / "iot" / "models");
  CHECK(dirs.back() == fs::path(IOT_SOURCE_DIR) / "examples" / "models"); // the test runs from the build tree
  for (const auto& d : dirs)
    CHECK(d != tmp.dir / "models");
  // The first directory that defines a name wins.
  CHECK(parse_site(device("SAME"), site).models.at("SAME").pos.file == (tmp.dir / "env" / "e.toml").string());
  CHECK(parse_site(device("BESIDE"), site).ports[0].devices[0].model == "BESIDE");
  CHECK(parse_site(device("XDG"), site).ports[0].devices[0].model == "XDG");
  CHECK(parse_site(device("FC1003-8"), site).ports[0].devices[0].points.size() == 8);
  CHECK_THROWS_WITH(parse_site(device("UP"), site), Catch::Contains("unknown model 'UP'"));
  // --models DIR replaces $IOT_MODELS; quick mode has no site folder to look beside.
  LoadOptions o;
  o.models_dir = tmp.dir / "xdg" / "iot" / "models";
  o.beside_site = false;
  const auto only = catalog_dirs(site.parent_path(), o);
  CHECK(only[0] == o.models_dir);
  CHECK(std::find(only.begin(), only.end(), tmp.dir / "env") == only.end());
  CHECK(std::find(only.begin(), only.end(), tmp.dir / "site" / "models") == only.end());
  unsetenv("IOT_MODELS");
  unsetenv("XDG_DATA_HOME");
}
