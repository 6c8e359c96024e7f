#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "iot/record/json_writer.hpp"
#include "iot/record/record.hpp"
#include "iot/record/records.hpp"

namespace rec = iot::record;

namespace {

const iot::TimePoint k_ts = *iot::parse_ts("2026-11-21T08:00:00.123Z");

template <typename T> std::string line_of(const T& r) {
  std::string out;
  iot::JsonWriter w(out);
  rec::write(w, r);
  return out;
}

} // namespace

TEST_CASE("record::Reading: written in the documented order, read back field for field") {
  const std::uint16_t raw[] = {0x4148, 0};
  rec::Reading r;
  r.ts = k_ts;
  r.port = "bus1";
  r.unit = 3;
  r.device = "ctrl3";
  r.point = "ch1";
  r.addr = "hr:0";
  r.value = 12.5;
  r.raw = raw;
  r.uom = "%LEL";
  r.alarm = "H";
  const std::string line = line_of(r);
  CHECK(line == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"reading","port":"bus1","unit":3,"device":"ctrl3",)"
                R"("point":"ch1","addr":"hr:0","value":12.5,"raw":[16712,0],"uom":"%LEL","quality":"ok","alarm":"H"})");
  iot::RecordParser parser;
  rec::ReadScratch scratch;
  const auto back = rec::read_reading(parser.parse_copy(line, 1), scratch);
  REQUIRE(back);
  CHECK(line_of(*back.record) == line);
}

TEST_CASE("record readers name the offending field") {
  iot::RecordParser parser;
  rec::ReadScratch scratch;
  auto reading = [&](std::string_view text) { return rec::read_reading(parser.parse_copy(text, 1), scratch); };
  CHECK(reading(R"({"ts":"2026-11-21T08:00:00.123Z","kind":"status","state":"online"})").error ==
        R"(field "kind": not "reading")");
  CHECK(reading(R"({"ts":"yesterday","kind":"reading"})").error == R"(field "ts": not an RFC 3339 time stamp)");
  CHECK(
      reading(
          R"({"ts":"2026-11-21T08:00:00.123Z","kind":"reading","device":"d","point":"p","value":1,"quality":"ok","unit":300})")
          .error == R"(field "unit": not an integer 0-255)");
  CHECK(reading(R"({"ts":"2026-11-21T08:00:00.123Z","kind":"reading","point":"p","value":1,"quality":"ok"})").error ==
        R"(field "device": missing)");
  CHECK(reading(
            R"({"ts":"2026-11-21T08:00:00.123Z","kind":"reading","device":"d","point":"p","value":1,"quality":"fine"})")
            .error == R"(field "quality": not one of ok, timeout, crc, exception, offline, error)");
  CHECK(reading(
            R"({"ts":"2026-11-21T08:00:00.123Z","kind":"reading","device":"d","point":"p","value":[1],"quality":"ok"})")
            .error == R"(field "value": not null, a boolean, a number or a string)");
  CHECK(
      reading(
          R"({"ts":"2026-11-21T08:00:00.123Z","kind":"reading","device":"d","point":"p","value":1,"quality":"ok","raw":[70000]})")
          .error == R"(field "raw": not an array of words (0-65535) or bits)");
  const auto stats = rec::read_stats(
      parser.parse_copy(R"({"ts":"2026-11-21T08:00:00.123Z","kind":"stats","tool":"iot-sim","requests":"many"})", 1),
      scratch);
  CHECK(stats.error == R"(field "requests": not a count or a number)");
  const auto port = rec::read_port(parser.parse_copy(R"({"ts":"2026-11-21T08:00:00.123Z","kind":"port","name":7})", 1));
  CHECK(port.error == R"(field "name": not a string)");
}

TEST_CASE("record::Write: user text with quotes, backslashes and line breaks stays one line of valid JSON") {
  // What `iot-poll write 'tcp://h:502/a"b' 'hr:0=say "hi"\ \n'` puts in its record: the target and
  // the text are the user's, and the record writer escapes them.
  const std::string target = "tcp://h:502/a\"b\\c";
  const rec::Value values[] = {std::string("say \"hi\"\\\nbye"), 16.0};
  const std::uint16_t raw[] = {0x7361, 16};
  rec::Write w;
  w.ts = k_ts;
  w.port = target;
  w.unit = 1;
  w.device = "unit1";
  w.point = "hr:0";
  w.addr = "hr:0";
  w.fc = 16;
  w.value = values;
  w.value_list = true;
  w.raw = raw;
  w.ok = false;
  w.quality = "error";
  w.error = "line 1: bad \"value\"\n";
  w.cause = "link:relay\\1";
  const std::string line = line_of(w);
  CHECK(line.find('\n') == std::string::npos);
  iot::RecordParser parser;
  rec::ReadScratch scratch;
  const auto back = rec::read_write(parser.parse_copy(line, 1), scratch);
  REQUIRE(back);
  const rec::Write& r = *back.record;
  CHECK(r.port == target);
  REQUIRE(r.value.size() == 2);
  CHECK(std::get<std::string>(r.value[0]) == "say \"hi\"\\\nbye");
  CHECK(r.value_list);
  CHECK(r.error == "line 1: bad \"value\"\n");
  CHECK(r.cause == "link:relay\\1");
  CHECK(r.fc == 16u);
  CHECK(r.ok == false);
  CHECK(line_of(r) == line);
  CHECK(rec::write_value_text(w) == R"(["say \"hi\"\\\nbye",16])");
}

TEST_CASE("record writers and readers agree for every kind") {
  iot::RecordParser parser;
  rec::ReadScratch scratch;
  std::string buffer;
  auto parse = [&](const std::string& line) { return parser.parse_copy(line, 1); };

  rec::Status status{k_ts, {}, "bus1", 3u, "ctrl3", "offline", "3 requests without answer"};
  const std::string status_line = line_of(status);
  CHECK(status_line == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"status","port":"bus1","unit":3,"device":"ctrl3",)"
                       R"("state":"offline","reason":"3 requests without answer"})");
  CHECK(line_of(*rec::read_status(parse(status_line)).record) == status_line);

  rec::Alarm alarm;
  alarm.ts = k_ts;
  alarm.port = "bus1";
  alarm.unit = 1u;
  alarm.device = "d";
  alarm.point = "p";
  alarm.state = "cleared";
  alarm.previous = "HH";
  alarm.type = "HH";
  alarm.value = 3;
  alarm.limit = NAN;
  const std::string alarm_line = line_of(alarm);
  CHECK(alarm_line.find(R"("level":null,"previous":"HH","type":"HH","value":3,"limit":null)") != std::string::npos);
  CHECK(line_of(*rec::read_alarm(parse(alarm_line)).record) == alarm_line);

  const rec::Counter counters[] = {{iot::fields::requests, std::uint64_t{10}}, {iot::fields::latency_mean_ms, 1.25}};
  rec::Stats stats{k_ts, "iot-poll", {}, "bus1", {}, counters};
  const std::string stats_line = line_of(stats);
  CHECK(stats_line == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"stats","tool":"iot-poll","port":"bus1",)"
                      R"("requests":10,"latency_mean_ms":1.25})");
  CHECK(line_of(*rec::read_stats(parse(stats_line), scratch).record) == stats_line);

  const rec::Endpoint endpoints[] = {{"bus1", "tcp://127.0.0.1:40123", {}, 4},
                                     {"rs485", "rtu:/dev/pts/7", "/dev/pts/7", 2}};
  rec::Ready ready{k_ts, "iot-sim", endpoints, std::uint64_t{6}};
  const std::string ready_line = line_of(ready);
  CHECK(line_of(*rec::read_ready(parse(ready_line), scratch).record) == ready_line);

  rec::Ack ack{k_ts, true, "get", "7", "ctrl1", {}, "ch1", std::nullopt, rec::Value{12.5}, {}};
  const std::string ack_line = line_of(ack);
  CHECK(ack_line == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"ack","ok":true,"command":"get","id":"7",)"
                    R"("device":"ctrl1","point":"ch1","value":12.5})");
  CHECK(line_of(*rec::read_ack(parse(ack_line)).record) == ack_line);

  rec::Mqtt mqtt;
  mqtt.ts = k_ts;
  mqtt.topic = "site/a";
  mqtt.payload = R"({"kind":"reading"})";
  mqtt.form = rec::Mqtt::Form::json;
  mqtt.qos = 1;
  mqtt.properties_json = R"({"content_type":"application/json"})";
  const std::string mqtt_line = line_of(mqtt);
  CHECK(mqtt_line == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"mqtt","topic":"site/a","payload":{"kind":"reading"},)"
                     R"("qos":1,"retain":false,"properties":{"content_type":"application/json"}})");
  CHECK(line_of(*rec::read_mqtt(parse(mqtt_line), buffer).record) == mqtt_line);

  const std::string_view faults[] = {"delay"};
  rec::Frame frame;
  frame.ts = k_ts;
  frame.framing = "rtu";
  frame.direction = "request";
  frame.unit = 1u;
  frame.fc = 3u;
  frame.fc_name = "read_holding_registers";
  frame.addr = 0u;
  frame.count = 4u;
  frame.crc_ok = true;
  frame.hex = "0103000000044409";
  frame.port = "bus1";
  frame.faults = faults;
  const std::string frame_line = line_of(frame);
  CHECK(frame_line == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"frame","framing":"rtu","direction":"request",)"
                      R"("unit":1,"fc":3,"fc_name":"read_holding_registers","addr":0,"count":4,"crc_ok":true,)"
                      R"("hex":"0103000000044409","port":"bus1","faults":["delay"]})");
  CHECK(line_of(*rec::read_frame(parse(frame_line), scratch).record) == frame_line);

  rec::Scan scan;
  scan.ts = k_ts;
  scan.target = "rtu:/dev/ttyUSB0";
  scan.settings.push_back({"9600 8N1", 247, {1, 3}});
  scan.probes = 247;
  scan.found = 2;
  scan.duration_s = 12.3456;
  const std::string scan_line = line_of(scan);
  CHECK(scan_line.find(R"("duration_s":12.346,"settings":[{"settings":"9600 8N1","probes":247,"units":[1,3]}])") !=
        std::string::npos);
  CHECK(line_of(*rec::read_scan(parse(scan_line)).record) == scan_line);

  const rec::DeviceObject objects[] = {{0x00, "ACME"}, {0x01, "X-1"}, {0x80, "extra"}};
  const std::uint8_t server_id[] = {0x11, 0xFF, 'a', 'b'};
  rec::DeviceInfo info;
  info.ts = k_ts;
  info.port = "tcp://h:502";
  info.unit = 1;
  info.conformity = 0x83u;
  info.objects = objects;
  info.server_id = std::span<const std::uint8_t>(server_id);
  info.run_indicator = true;
  info.server_id_text = "ab";
  const std::string info_line = line_of(info);
  CHECK(info_line.find(R"("objects":{"0x00":"ACME","0x01":"X-1","0x80":"extra"},"vendor_name":"ACME",)"
                       R"("product_code":"X-1","server_id":"11ff6162","run_indicator":true)") != std::string::npos);
  CHECK(line_of(*rec::read_device_info(parse(info_line), scratch).record) == info_line);

  rec::Aggregate aggregate{k_ts, "d", "p", std::int64_t{60}, 3, 1, 3, 2, 3, "V"};
  const std::string aggregate_line = line_of(aggregate);
  CHECK(aggregate_line == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"aggregate","device":"d","point":"p",)"
                          R"("interval_s":60,"count":3,"min":1,"max":3,"mean":2,"last":3,"uom":"V"})");
  CHECK(line_of(*rec::read_aggregate(parse(aggregate_line)).record) == aggregate_line);

  rec::Port port{k_ts, "/dev/ttyUSB0", "FT232R", "usb", "0403:6001", "FTDI", {}, "A50285BI"};
  const std::string port_line = line_of(port);
  CHECK(port_line == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"port","name":"/dev/ttyUSB0","description":"FT232R",)"
                     R"("transport":"usb","usb":"0403:6001","manufacturer":"FTDI","serial":"A50285BI"})");
  CHECK(line_of(*rec::read_port(parse(port_line)).record) == port_line);

  const std::pair<std::string_view, rec::Value> points[] = {{"ch1", 12.5}, {"relay", true}};
  rec::Write sim_write;
  sim_write.ts = k_ts;
  sim_write.port = "bus1";
  sim_write.unit = 1u;
  sim_write.device = "ctrl1";
  sim_write.addr = "hr:0:2";
  sim_write.has_points = true;
  sim_write.points = points;
  const std::string write_line = line_of(sim_write);
  CHECK(write_line == R"({"ts":"2026-11-21T08:00:00.123Z","kind":"write","port":"bus1","unit":1,"device":"ctrl1",)"
                      R"("addr":"hr:0:2","points":{"ch1":12.5,"relay":true}})");
  CHECK(line_of(*rec::read_write(parse(write_line), scratch).record) == write_line);
}
