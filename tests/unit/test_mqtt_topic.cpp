#include <catch2/catch.hpp>
#include <string>

#include "iot/mqtt/topic.hpp"

using namespace iot::mqtt;

TEST_CASE("iot::mqtt::valid_topic_filter") {
  std::string e;
  CHECK(valid_topic_filter("a/+/b/#", e));
  CHECK(valid_topic_filter("#", e));
  CHECK(valid_topic_filter("$share/g/a/#", e));
  CHECK_FALSE(valid_topic_filter("a/#/b", e));
  CHECK(e == "'#' must be the last level of the filter 'a/#/b' and alone in it");
  CHECK_FALSE(valid_topic_filter("a/b+", e));
  CHECK(e == "'+' must be alone in its level of the filter 'a/b+'");
  CHECK_FALSE(valid_topic_filter("$share/g", e));
  CHECK(e == "shared subscription '$share/g' must be $share/GROUP/FILTER");
  CHECK_FALSE(valid_topic_filter("$share/g+/a", e));
  CHECK_FALSE(valid_topic_filter("", e));
  CHECK(e == "empty topic filter");
}

TEST_CASE("iot::mqtt::valid_topic_name") {
  std::string e;
  CHECK(valid_topic_name("site/meter1/ua", e));
  CHECK(valid_topic_name("/acrelHW/ADW300/data/26010100000001", e));
  CHECK_FALSE(valid_topic_name("", e));
  CHECK(e == "empty topic");
  CHECK_FALSE(valid_topic_name("a/+/b", e));
  CHECK(e == "topic 'a/+/b' contains '+', which a topic name may not (MQTT 3.1.1 §4.7.1)");
  CHECK_FALSE(valid_topic_name("a/#", e));
  CHECK_FALSE(valid_topic_name(std::string("a\0b", 3), e));
  CHECK(e.find("contains 'NUL'") != std::string::npos);
  CHECK(valid_topic_name(std::string(65535, 'x'), e));
  CHECK_FALSE(valid_topic_name(std::string(65536, 'x'), e));
  CHECK(e == "topic longer than 65535 bytes");
}
