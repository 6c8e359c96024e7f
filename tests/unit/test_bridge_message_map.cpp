// pub's line -> message mapping (bridge/message_map.hpp): topic templates over
// record fields, --topic-for, --payload, mqtt records sent as they say.
#include <catch2/catch.hpp>
#include <string>

#include "iot/bridge/message_map.hpp"
#include "iot/core/error.hpp"

#include "test_lines.hpp"

using namespace iot::bridge;
using iot_test::padded;

namespace {
// A reading record as iot-poll writes it (docs/record-format.md).
const std::string k_reading =
    R"({"ts":"2026-11-21T08:00:01.000Z","kind":"reading","port":"bus1","unit":1,"device":"ctrl1","point":"ch1",)"
    R"("addr":"hr:0","value":12.5,"raw":[125],"uom":"%LEL","quality":"ok"})";
} // namespace

TEST_CASE("iot::bridge::MessageMapper sends a reading record unchanged to its template's topic") {
  MapOptions o;
  o.topic_template = "plant/{port}/{unit}/{device}/{point}";
  MessageMapper m(o);
  OutMessage out;
  std::string err;
  const std::string line = padded(k_reading);
  REQUIRE(m.map(line, 1, out, err));
  CHECK(out.topic == "plant/bus1/1/ctrl1/ch1"); // a number field is written as its JSON text
  CHECK(out.payload == k_reading);              // the whole line, byte for byte
  CHECK(out.qos == 0);
  CHECK_FALSE(out.retain);
}

TEST_CASE("iot::bridge::MessageMapper --payload sends one field of a reading") {
  MapOptions o;
  o.topic_template = "site/{device}/{point}";
  OutMessage out;
  std::string err;
  const std::string line = padded(k_reading);
  for (const auto& [field, payload] : std::initializer_list<std::pair<const char*, const char*>>{
           {"value", "12.5"}, {"raw", "[125]"}, {"uom", "%LEL"}, {"unit", "1"}}) {
    o.payload_field = field;
    MessageMapper m(o);
    REQUIRE(m.map(line, 1, out, err));
    CHECK(out.topic == "site/ctrl1/ch1");
    CHECK(out.payload == payload); // a string as its bytes, anything else as JSON
  }
  o.payload_field = "missing";
  MessageMapper m(o);
  CHECK_FALSE(m.map(line, 2, out, err));
  CHECK(err == "payload field 'missing' is missing");
}

TEST_CASE("iot::bridge::MessageMapper keeps UTF-8 names and escapes topic wildcards in fields") {
  MapOptions o;
  o.topic_template = "{{literal}}/{device}/{point}";
  MessageMapper m(o);
  OutMessage out;
  std::string err;
  REQUIRE(m.map(padded(R"({"kind":"reading","device":"电表1","point":"ua","value":230.1})"), 1, out, err));
  CHECK(out.topic == "{literal}/电表1/ua");
  REQUIRE(m.map(padded(R"({"kind":"reading","device":"a/b","point":"#","value":1})"), 2, out, err));
  CHECK(out.topic == "{literal}/a%2Fb/%23");
  // a field that is neither a string nor a number cannot name a topic level
  CHECK_FALSE(m.map(padded(R"({"kind":"reading","device":{"x":1},"point":"p","value":1})"), 3, out, err));
  CHECK(err == "field 'device' of the topic template is not a string or number");
}

TEST_CASE("iot::bridge::MessageMapper") {
  MapOptions o;
  o.topic_template = "site/{device}/{point}";
  o.qos = 1;
  MessageMapper m(o);
  OutMessage out;
  std::string err;
  std::string line = padded(R"({"device":"d1","point":"p1","value":2})");
  REQUIRE(m.map(line, 1, out, err));
  CHECK(out.topic == "site/d1/p1");
  CHECK(out.payload == line);
  CHECK(out.qos == 1);

  line = padded(R"({"device":"d1","value":2})");
  CHECK_FALSE(m.map(line, 2, out, err));
  CHECK(err == "field 'point' of the topic template is missing");

  // a field value is one topic level: '/', '+', '#', '%' and NUL are escaped
  line = padded(R"({"device":"a+b/c#d%e\u0000f","point":"p"})");
  REQUIRE(m.map(line, 3, out, err));
  CHECK(out.topic == "site/a%2Bb%2Fc%23d%25e%00f/p");

  line = padded(R"({"kind":"mqtt","topic":"t/1","payload":{"a":1},"qos":2,"retain":true})");
  REQUIRE(m.map(line, 4, out, err));
  CHECK(out.topic == "t/1");
  CHECK(out.payload == R"({"a":1})");
  CHECK(out.qos == 2);
  CHECK(out.retain);

  line = padded(R"({"topic":"t/2","payload":"text"})");
  REQUIRE(m.map(line, 5, out, err));
  CHECK(out.payload == "text");

  line = padded("not json");
  CHECK_FALSE(m.map(line, 6, out, err));
  CHECK(err == "not a JSON object");

  MapOptions p = o;
  p.payload_field = "value";
  p.max_payload = 4;
  MessageMapper mp(p);
  line = padded(R"({"device":"d","point":"p","value":12.5})");
  REQUIRE(mp.map(line, 7, out, err));
  CHECK(out.payload == "12.5");
  line = padded(R"({"device":"d","point":"p","value":"long text"})");
  CHECK_FALSE(mp.map(line, 8, out, err));
  CHECK(err.find("larger than the maximum of 4 bytes") != std::string::npos);

  CHECK_THROWS_AS(TopicTemplate("a/{b"), iot::Error);
  CHECK_THROWS_AS(TopicTemplate("a/}"), iot::Error);
}

TEST_CASE("iot::bridge::MessageMapper records of every kind") {
  MapOptions o;
  o.topic_template = "site/{device}/{point}";
  o.topic_for["alarm"] = "alarms/{device}";
  MessageMapper m(o);
  OutMessage out;
  std::string err;
  std::string line = padded(R"({"kind":"status","device":"d1","state":"offline"})");
  REQUIRE(m.map(line, 1, out, err));
  CHECK(out.topic == "site/d1/status");
  line = padded(R"({"kind":"stats","tool":"iot-poll","requests":3})");
  REQUIRE(m.map(line, 2, out, err));
  CHECK(out.topic == "site/stats");
  line = padded(R"({"kind":"alarm","device":"d2","point":"p"})");
  REQUIRE(m.map(line, 3, out, err));
  CHECK(out.topic == "alarms/d2");
  line = padded(R"({"kind":"alarm","point":"p"})");
  CHECK_FALSE(m.map(line, 4, out, err)); // a --topic-for template must be filled
  CHECK(err == "field 'device' of the topic template is missing");
  line = padded(R"({"kind":"reading","device":"d1","value":1})");
  CHECK_FALSE(m.map(line, 5, out, err)); // readings too
  MapOptions only_for;
  only_for.topic_for["status"] = "s/{device}";
  MessageMapper m2(only_for);
  line = padded(R"({"kind":"reading","device":"d1","point":"p"})");
  CHECK_FALSE(m2.map(line, 6, out, err));
  CHECK(err == "no topic template for a 'reading' record (-t or --topic-for reading=TEMPLATE)");
}

TEST_CASE("iot::bridge::MessageMapper -q and -r win over the record") {
  const std::string line = padded(R"({"kind":"mqtt","topic":"t","payload":"x","qos":0,"retain":false})");
  OutMessage out;
  std::string err;
  MapOptions given;
  given.qos = 1;
  given.qos_given = true;
  given.retain = true;
  MessageMapper m(given);
  REQUIRE(m.map(line, 1, out, err));
  CHECK(out.qos == 1);
  CHECK(out.retain);
  given.qos_from_record = true;
  MessageMapper from_record(given);
  REQUIRE(from_record.map(line, 1, out, err));
  CHECK(out.qos == 0);
  CHECK_FALSE(out.retain);
  MapOptions not_given; // no -q: the record's own qos
  MessageMapper plain(not_given);
  REQUIRE(plain.map(padded(R"({"kind":"mqtt","topic":"t","payload":"x","qos":2})"), 1, out, err));
  CHECK(out.qos == 2);
}
