#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "iot/bridge/message_map.hpp"
#include "iot/bridge/sub.hpp"
#include "iot/core/error.hpp"
#include "iot/mqtt/codec.hpp"
#include "iot/mqtt/options.hpp"
#include "iot/mqtt/spool.hpp"
#include "iot/mqtt/topic.hpp"

using namespace iot::mqtt;
using namespace iot::bridge;

namespace {
std::string padded(std::string s) {
  s.append(64, '\0');
  s.resize(s.size() - 64);
  return s;
}
struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/iot-unit-spool.XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};
}  // namespace

TEST_CASE("iot::mqtt::base64") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");  // RFC 4648 §10 test vectors
  CHECK(base64_encode(std::string("\x00\xff\x10", 3)) == "AP8Q");
  CHECK(base64_decode("Zm9vYg==").value() == "foob");
  CHECK(base64_decode("Zm9vYg").value() == "foob");
  CHECK_FALSE(base64_decode("Zm9v!A==").has_value());
}

TEST_CASE("iot::mqtt::crc32") { CHECK(crc32("123456789") == 0xCBF43926u); }

TEST_CASE("iot::mqtt::parse_broker_url") {
  auto b = parse_broker_url("mqtt://example.org");
  CHECK(b.paho_uri() == "tcp://example.org:1883");
  CHECK(parse_broker_url("mqtts://h:9999").paho_uri() == "ssl://h:9999");
  CHECK(parse_broker_url("mqtts://h").port == 8883);
  CHECK(parse_broker_url("mqtt://[::1]:1884").paho_uri() == "tcp://[::1]:1884");
  CHECK_THROWS_AS(parse_broker_url("http://h"), iot::Error);
  CHECK_THROWS_AS(parse_broker_url("mqtt://h:0"), iot::Error);
  CHECK_THROWS_AS(parse_broker_url("mqtt://:1883"), iot::Error);
  CHECK(parse_size("64K") == 65536);
  CHECK(parse_size("16MiB") == 16u << 20);
  CHECK_THROWS_AS(parse_size("12X"), iot::Error);
}

TEST_CASE("iot::mqtt::MessageMapper") {
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

TEST_CASE("iot::mqtt::MessageMapper records of every kind") {
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

TEST_CASE("iot::mqtt::MessageMapper -q and -r win over the record") {
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

TEST_CASE("iot::mqtt::Spool lock") {
  TempDir dir;
  SpoolOptions o;
  o.dir = dir.path;
  Spool first(o);
  try {
    Spool second(o);
    FAIL("a second Spool on one folder must be refused");
  } catch (const iot::Error& e) {
    CHECK(e.kind() == iot::ErrorKind::io);
    CHECK(std::string(e.what()).find("is in use by another process (pid " + std::to_string(::getpid()) + ")") !=
          std::string::npos);
  }
}

TEST_CASE("iot::mqtt::valid_topic_filter") {
  std::string e;
  CHECK(valid_topic_filter("a/+/b/#", e));
  CHECK(valid_topic_filter("#", e));
  CHECK(valid_topic_filter("$share/g/a/#", e));
  CHECK_FALSE(valid_topic_filter("a/#/b", e));
  CHECK_FALSE(valid_topic_filter("a/b+", e));
  CHECK_FALSE(valid_topic_filter("$share/g", e));
  CHECK_FALSE(valid_topic_filter("", e));
}

TEST_CASE("iot::mqtt::write_mqtt_record") {
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
  write_mqtt_record(w0, "t", "{\"a\":1} x", 1, false, nullptr);  // not JSON: kept as text
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

TEST_CASE("iot::mqtt::Spool") {
  TempDir dir;
  SpoolOptions o;
  o.dir = dir.path;
  o.max_bytes = 1 << 20;
  o.segment_bytes = 4096;
  {
    Spool s(o);
    CHECK(s.empty());
    for (int i = 0; i < 500; ++i) REQUIRE(s.append("t/" + std::to_string(i), "payload " + std::to_string(i), 1, i % 2 == 0) == Spool::Append::ok);
    s.flush();
    SpoolRecord r;
    for (int i = 0; i < 100; ++i) {
      REQUIRE(s.read_next(r));
      CHECK(r.topic == "t/" + std::to_string(i));
      CHECK(r.retain == (i % 2 == 0));
    }
    s.set_cursor(r.next);  // 100 acknowledged
  }
  // a torn tail is dropped; reading resumes at the cursor
  std::vector<std::filesystem::path> segs;
  for (auto& e : std::filesystem::directory_iterator(dir.path))
    if (e.path().extension() == ".spool") segs.push_back(e.path());
  std::sort(segs.begin(), segs.end());
  REQUIRE(segs.size() > 3);
  { std::ofstream(segs.back(), std::ios::app) << std::string("\x20\x00\x00\x00garbage", 11); }
  {
    Spool s(o);
    CHECK(s.torn_bytes() == 11);
    SpoolRecord r;
    int n = 100;
    while (s.read_next(r)) {
      CHECK(r.topic == "t/" + std::to_string(n));
      CHECK(r.payload == "payload " + std::to_string(n));
      ++n;
    }
    CHECK(n == 500);
    s.set_cursor(s.read_pos());
    CHECK(s.empty());
  }
  // bounded: drop-newest refuses, drop-oldest deletes whole old segments
  SpoolOptions small = o;
  small.dir = dir.path + "/small";
  small.max_bytes = 16384;
  small.full = SpoolFull::drop_newest;
  {
    Spool s(small);
    int dropped = 0;
    for (int i = 0; i < 1000; ++i)
      if (s.append("t", std::string(50, 'x'), 1, false) == Spool::Append::dropped_newest) ++dropped;
    CHECK(dropped > 0);
    CHECK(s.bytes() <= small.max_bytes);
  }
  small.dir = dir.path + "/small2";
  small.full = SpoolFull::drop_oldest;
  {
    Spool s(small);
    std::uint64_t dropped = 0;
    s.on_drop = [&](std::uint64_t, std::uint64_t n) { dropped += n; };
    for (int i = 0; i < 3000; ++i) REQUIRE(s.append("t", std::to_string(i), 1, false) == Spool::Append::ok);
    CHECK(dropped > 0);
    s.flush();
    SpoolRecord r;
    REQUIRE(s.read_next(r));
    CHECK(r.payload == std::to_string(dropped));  // the oldest kept is the first not dropped
  }
}
