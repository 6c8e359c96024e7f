// iot-mqtt-bridge's command-line values and their checked conversion
// (bridge/args.hpp): what main.cpp binds CLI11 to, turned into the options
// pub, sub and acrel-sim run with.
#include <catch2/catch.hpp>
#include <string>

#include "iot/bridge/args.hpp"
#include "iot/core/error.hpp"

#include "error_test_util.hpp"

using namespace iot::bridge;
using namespace std::chrono_literals;

TEST_CASE("iot::bridge::to_connect_options") {
  ConnectArgs a;
  a.brokers = {"mqtt://127.0.0.1:1883", "mqtt://127.0.0.2:1883"};
  a.keepalive = "1m";
  a.reconnect_min = "100ms";
  a.reconnect_max = "10s";
  const auto o = to_connect_options(a);
  CHECK(o.broker == "mqtt://127.0.0.1:1883");
  CHECK(o.failover == std::vector<std::string>{"mqtt://127.0.0.2:1883"});
  CHECK(o.version == 4);
  CHECK(o.keepalive == 60s);
  CHECK(o.clean);
  CHECK(o.reconnect_min == 100ms);
  CHECK(o.reconnect_max == 10s);

  ConnectArgs v5 = a;
  v5.version = "5";
  v5.client_id = "plant-1";
  v5.no_clean = true;
  CHECK(to_connect_options(v5).session_expiry == 0xFFFFFFFFu); // kept as long as in 3.1.1
  v5.session_expiry = "1h";
  CHECK(to_connect_options(v5).session_expiry == 3600u);

  ConnectArgs bad = a;
  bad.keepalive = "3s";
  CHECK(usage_message([&] { to_connect_options(bad); }) == "--keepalive must be 0 (off) or at least 5s");
  bad.keepalive = "soon";
  CHECK(usage_message([&] { to_connect_options(bad); }) == "--keepalive: not a duration: 'soon' (e.g. 500ms, 1s, 6h)");
  bad = a;
  bad.no_clean = true;
  CHECK(usage_message([&] { to_connect_options(bad); }) ==
        "--no-clean needs a fixed --client-id: the broker keeps the session under that id");
  bad = a;
  bad.brokers.push_back("mqtts://127.0.0.3");
  CHECK(usage_message([&] { to_connect_options(bad); }) ==
        "all --broker URLs must use the same scheme (mqtt:// or mqtts://)");
  bad = a;
  bad.will_topic = "site/down";
  bad.will_qos = 3;
  CHECK(usage_message([&] { to_connect_options(bad); }) == "--will-qos must be 0, 1 or 2");
  bad = a;
  bad.session_expiry = "1h";
  CHECK(usage_message([&] { to_connect_options(bad); }) == "--session-expiry needs --mqtt-version 5");
}

TEST_CASE("iot::bridge::to_pub_options") {
  ConnectArgs c;
  PubArgs a;
  a.topic = "site/{device}/{point}";
  a.topic_for = {"status=site/{device}/status"};
  a.qos = 1;
  a.max_payload = "64K";
  a.spool = "/var/spool/iot";
  a.spool_max = "1M";
  a.spool_full = "drop-oldest";
  a.drain_timeout = "2s";
  a.stats_every = "1m";
  const auto o = to_pub_options(c, a);
  CHECK(o.map.topic_template == "site/{device}/{point}");
  CHECK(o.map.topic_for.at("status") == "site/{device}/status");
  CHECK(o.map.qos == 1);
  CHECK(o.map.max_payload == 65536);
  REQUIRE(o.spool);
  CHECK(o.spool->dir == "/var/spool/iot");
  CHECK(o.spool->max_bytes == 1u << 20);
  CHECK(o.spool->full == iot::mqtt::SpoolFull::drop_oldest);
  CHECK(o.drain_timeout == 2s);
  CHECK(o.stats_every == 60s);

  PubArgs bad = a;
  bad.topic_for = {"status"};
  CHECK(usage_message([&] { to_pub_options(c, bad); }) ==
        "--topic-for 'status' must be KIND=TEMPLATE, e.g. status='site/{device}/status'");
  bad = a;
  bad.topic = "site/{device";
  CHECK_THROWS_AS(to_pub_options(c, bad), iot::Error);
  bad = a;
  bad.spool_max = "32K";
  CHECK(usage_message([&] { to_pub_options(c, bad); }) == "--spool-max must be at least 64K");
  bad = a;
  bad.max_payload = "lots";
  CHECK(usage_message([&] { to_pub_options(c, bad); }) == "bad size 'lots' (use e.g. 4096, 64K, 16M, 1G)");
  bad = a;
  bad.stats_every = "50ms";
  CHECK(usage_message([&] { to_pub_options(c, bad); }) == "--stats-every must be at least 100ms");
  bad = a;
  bad.drain_timeout = "later";
  CHECK(usage_message([&] { to_pub_options(c, bad); }) ==
        "--drain-timeout: not a duration: 'later' (e.g. 500ms, 1s, 6h)");
  bad = a;
  bad.window = 0;
  CHECK(usage_message([&] { to_pub_options(c, bad); }) == "--window must be 1 to 65535");
}

TEST_CASE("iot::bridge::to_sub_options with --answer acrel answers a meter's login") {
  ConnectArgs c;
  SubArgs a;
  a.topics = {"/gw/acrelHW/#"};
  a.qos = 1;
  a.answer = "acrel";
  const auto o = to_sub_options(c, a);
  REQUIRE(o.subscriptions.size() == 1);
  CHECK(o.subscriptions[0].filter == "/gw/acrelHW/#");
  CHECK(o.subscriptions[0].qos == 1);
  REQUIRE(o.answer);
  std::vector<iot::mqtt::Reply> replies;
  o.answer("/gw/acrelHW/ADW300/login/26010100000001", R"({"type":"login","gwSN":"26010100000001"})", replies);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].topic == "/server/acrelHW/ADW300/login/26010100000001");
  CHECK(replies[0].payload == R"({"type":"login","res":1})");

  SubArgs bad = a;
  bad.answer = "modbus";
  CHECK(usage_message([&] { to_sub_options(c, bad); }) == "--answer knows only 'acrel'");
}

TEST_CASE("iot::bridge::to_fleet_options") {
  ConnectArgs c;
  FleetArgs a;
  a.meters = 3;
  a.fast = "1s";
  a.format = "point-id";
  const auto o = to_fleet_options(c, a);
  CHECK(o.meters == 3);
  CHECK(o.fast == 1s);
  CHECK(o.heart == 60s);
  CHECK(o.format == iot::acrel::DataFormat::point_id);
  CHECK(fleet_duration(a) == std::nullopt);
  a.duration = "90s";
  CHECK(fleet_duration(a) == 90s);

  ConnectArgs shared = c;
  shared.client_id = "plant";
  CHECK(usage_message([&] { to_fleet_options(shared, a); }) ==
        "--client-id: 3 meters cannot share one client id; put {sn} in it (e.g. 'plant-{sn}')");
  FleetArgs bad = a;
  bad.format = "xml";
  CHECK(usage_message([&] { to_fleet_options(c, bad); }) == "--format must be type or point-id");
  bad = a;
  bad.first_sn = 123;
  CHECK(usage_message([&] { to_fleet_options(c, bad); }) == "--first-sn must leave 14-digit serial numbers");
}
