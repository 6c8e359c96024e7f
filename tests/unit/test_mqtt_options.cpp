#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "iot/core/error.hpp"
#include "iot/mqtt/options.hpp"

using namespace iot::mqtt;

TEST_CASE("iot::mqtt::parse_broker_url") {
  auto b = parse_broker_url("mqtt://example.org");
  CHECK(b.paho_uri() == "tcp://example.org:1883");
  CHECK_FALSE(b.tls);
  CHECK(parse_broker_url("mqtts://h:9999").paho_uri() == "ssl://h:9999");
  CHECK(parse_broker_url("mqtts://h").port == 8883);
  CHECK(parse_broker_url("mqtts://h").tls);
  CHECK(parse_broker_url("mqtt://[::1]:1884").paho_uri() == "tcp://[::1]:1884");
  CHECK_THROWS_AS(parse_broker_url("http://h"), iot::Error);
  CHECK_THROWS_AS(parse_broker_url("mqtt://h:0"), iot::Error);
  CHECK_THROWS_AS(parse_broker_url("mqtt://:1883"), iot::Error);
}

TEST_CASE("iot::mqtt::read_password") {
  const std::string file =
      (std::filesystem::temp_directory_path() / ("iot-unit-password." + std::to_string(::getpid()))).string();
  { std::ofstream(file) << "s3cret\r\nsecond line\n"; }
  CHECK(read_password(file, "") == "s3cret");                        // the first line, without CR LF
  CHECK(read_password(file, "IOT_UNIT_PASSWORD_UNSET") == "s3cret"); // the file wins
  std::filesystem::remove(file);
  try {
    read_password(file, "");
    FAIL("a missing password file must be an error");
  } catch (const iot::Error& e) {
    CHECK(e.kind() == iot::ErrorKind::config);
    CHECK(std::string(e.what()) == "cannot read password file '" + file + "'");
  }
  ::setenv("IOT_UNIT_PASSWORD", "from-env", 1);
  CHECK(read_password("", "IOT_UNIT_PASSWORD") == "from-env");
  ::unsetenv("IOT_UNIT_PASSWORD");
  CHECK_THROWS_AS(read_password("", "IOT_UNIT_PASSWORD"), iot::Error);
  CHECK(read_password("", "").empty());
}
