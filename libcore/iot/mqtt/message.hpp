#pragma once
// A message to publish in answer to a received one: what a protocol module
// (e.g. acrel::answer, the Acrel platform's replies) hands back to the client
// that received the message, without knowing that client.
#include <string>

namespace iot::mqtt {

struct Reply {
  std::string topic;
  std::string payload;
  int qos = 0;
};

} // namespace iot::mqtt
