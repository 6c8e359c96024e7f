#include <catch2/catch.hpp>
#include <string>

#include "iot/mqtt/codec.hpp"

using namespace iot::mqtt;

TEST_CASE("iot::mqtt::base64") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy"); // RFC 4648 §10 test vectors
  CHECK(base64_encode(std::string("\x00\xff\x10", 3)) == "AP8Q");
  CHECK(base64_decode("Zm9vYg==").value() == "foob");
  CHECK(base64_decode("Zm9vYg").value() == "foob");
  CHECK_FALSE(base64_decode("Zm9v!A==").has_value());
}

TEST_CASE("iot::mqtt::base64 round trip of every byte value") {
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= bytes.size(); n += 37) {
    const std::string part = bytes.substr(0, n);
    CHECK(base64_decode(base64_encode(part)).value() == part);
  }
}

TEST_CASE("iot::mqtt::crc32") {
  CHECK(crc32("123456789") == 0xCBF43926u);
  CHECK(crc32("") == 0u);
}

TEST_CASE("iot::mqtt::valid_utf8") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ascii"));
  CHECK(valid_utf8("\xe7\x94\xb5\xe8\xa1\xa8")); // 电表
  CHECK_FALSE(valid_utf8("\xff"));               // never valid in UTF-8
  CHECK_FALSE(valid_utf8("\xe7\x94"));           // cut short
  CHECK_FALSE(valid_utf8("\xc0\xaf"));           // overlong '/' (RFC 3629 §3)
  CHECK_FALSE(valid_utf8("\xed\xa0\x80"));       // a UTF-16 surrogate
}
