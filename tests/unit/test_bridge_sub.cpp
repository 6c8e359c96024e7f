// sub's message -> record output (bridge/sub.hpp, write_mqtt_record), and the
// round trip sub | pub: pub sends back the bytes sub received.
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>

#include "iot/bridge/message_map.hpp"
#include "iot/bridge/sub.hpp"
#include "iot/record/json_writer.hpp"

#include "test_lines.hpp"

using namespace iot::bridge;
using iot_test::padded;

namespace {
std::string mqtt_record(std::string_view topic, std::string_view payload, int qos, bool retain,
                        const mqtt5__property* properties = nullptr) {
  std::string s;
  iot::JsonWriter w(s);
  write_mqtt_record(w, topic, payload, qos, retain, properties);
  return s;
}
} // namespace

TEST_CASE("iot::bridge::write_mqtt_record") {
  std::string s;
  iot::JsonWriter w(s);
  // JSON on one line goes in as it is (trimmed); JSON over several lines is
  // minified, so the record stays one line.
  write_mqtt_record(w, "t", R"( {"a": [1, 2]} )", 1, false, nullptr);
  CHECK(s.find(R"("topic":"t","payload":{"a": [1, 2]},"qos":1,"retain":false})") != std::string::npos);
  s.clear();
  iot::JsonWriter w1(s);
  write_mqtt_record(w1, "t", "{\"a\":\n  [1,\r\n 2]\n}\n", 1, false, nullptr);
  CHECK(s.find(R"("payload":{"a":[1,2]},)") != std::string::npos);
  CHECK(s.find_first_of("\r\n") == std::string::npos);
  s.clear();
  iot::JsonWriter w0(s);
  write_mqtt_record(w0, "t", "{\"a\":1} x", 1, false, nullptr); // not JSON: kept as text
  CHECK(s.find(R"("payload":"{\"a\":1} x")") != std::string::npos);
  s.clear();
  iot::JsonWriter w2(s);
  write_mqtt_record(w2, "t", std::string("\xff\x00", 2), 0, true, nullptr);
  CHECK(s.find(R"("payload_b64":"/wA=")") != std::string::npos);
  s.clear();
  iot::JsonWriter w3(s);
  write_mqtt_record(w3, "t", R"("q")", 0, false, nullptr);
  CHECK(s.find(R"("payload":"\"q\"")") != std::string::npos);
}

TEST_CASE("iot::bridge::write_mqtt_record of a reading record received as payload") {
  const std::string reading = R"({"ts":"2026-11-21T08:00:01.000Z","kind":"reading","device":"ctrl1","point":"ch1",)"
                              R"("value":12.5,"uom":"%LEL","quality":"ok"})";
  const std::string line = mqtt_record("plant/ctrl1/ch1", reading, 1, true);
  simdjson::dom::parser parser;
  simdjson::dom::object rec;
  REQUIRE(parser.parse(line).get(rec) == simdjson::SUCCESS);
  CHECK(std::string_view(rec["kind"]) == "mqtt");
  CHECK(std::string_view(rec["topic"]) == "plant/ctrl1/ch1");
  CHECK(std::string_view(rec["ts"]).size() == 24); // the time of receipt, RFC 3339 UTC with ms
  // the payload is the reading itself, as JSON, not a string holding it
  simdjson::dom::object payload;
  REQUIRE(rec["payload"].get(payload) == simdjson::SUCCESS);
  CHECK(std::string_view(payload["device"]) == "ctrl1");
  CHECK(double(payload["value"]) == 12.5);
  CHECK(int64_t(rec["qos"]) == 1);
  CHECK(bool(rec["retain"]));
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("iot::bridge::write_mqtt_record of MQTT 5 properties") {
  mosquitto_property* props = nullptr;
  REQUIRE(mosquitto_property_add_int32(&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 60) == MOSQ_ERR_SUCCESS);
  REQUIRE(mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "site", "plant1") == MOSQ_ERR_SUCCESS);
  REQUIRE(mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE, "application/json") == MOSQ_ERR_SUCCESS);
  REQUIRE(mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, "\xff\x00", 2) == MOSQ_ERR_SUCCESS);
  REQUIRE(mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "line", "2") == MOSQ_ERR_SUCCESS);
  const std::string line = mqtt_record("t", "x", 0, false, props);
  mosquitto_property_free_all(&props);
  // the spec's properties in the order received, then the user properties together
  CHECK(line.find(R"("payload":"x","qos":0,"retain":false,"properties":{"message_expiry_interval":60,)"
                  R"("content_type":"application/json","correlation_data_b64":"/wA=",)"
                  R"("user":{"site":"plant1","line":"2"}}})") != std::string::npos);
}

TEST_CASE("iot::bridge pub sends back the bytes sub received") {
  MapOptions o; // no topic template: pub takes mqtt records only
  MessageMapper pub(o);
  const std::string binary("\x00\x01\xfe\xff", 4);
  for (const std::string& payload :
       {std::string(R"({"a":[1,2],"b":"c"})"), std::string("plain text"), std::string("电表 230.1 V"),
        std::string(R"("a JSON string")"), std::string("42"), std::string("null"), binary, std::string()}) {
    for (int qos = 0; qos <= 2; ++qos) {
      const std::string line = mqtt_record("site/meter1/ua", payload, qos, qos == 2);
      OutMessage out;
      std::string err;
      INFO(line);
      REQUIRE(pub.map(padded(line), 1, out, err));
      CHECK(out.topic == "site/meter1/ua");
      CHECK(out.payload == payload);
      CHECK(out.qos == qos);
      CHECK(out.retain == (qos == 2));
    }
  }
}
