#pragma once
// `iot-mqtt-bridge sub`: subscriptions → one `mqtt` record per message on stdout.
//
// A message is acknowledged (its PUBACK or PUBREC goes out) only after its
// line has been written to stdout (see link.hpp for how). Every
// (re)connect subscribes again. With a fixed client id and --no-clean, the
// broker keeps the session and queues QoS 1/2 messages while we are away.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct mqtt5__property;

#include "iot/core/exit_code.hpp"
#include "iot/mqtt/message.hpp"
#include "iot/mqtt/options.hpp"
#include "iot/record/json_writer.hpp"

namespace iot::bridge {

struct Subscription {
  std::string filter;
  int qos = 0;
};

// The `--answer` handler: given the topic and payload of a received message, adds replies (if any).
using Answerer = std::function<void(std::string_view topic, std::string_view payload, std::vector<mqtt::Reply>& out)>;

struct SubOptions {
  mqtt::ConnectOptions connect;
  std::vector<Subscription> subscriptions;
  std::uint64_t count = 0;                              // stop after this many messages (0: never)
  Answerer answer;                                      // e.g. the Acrel platform's replies
  std::optional<std::chrono::milliseconds> stats_every; // write a stats record this often
};

// Writes the `mqtt` record of one message (ts = now) into `w`: payload as JSON
// when it is a JSON object, array, number, true, false or null; else as a string
// when it is UTF-8; else payload_b64. A payload that is a JSON string is kept as
// text with its quotes, so `pub` sends back exactly the same bytes.
void write_mqtt_record(JsonWriter& w, std::string_view topic, std::string_view payload, int qos, bool retain,
                       const mqtt5__property* properties);

// Runs sub until SIGINT/SIGTERM, --count messages, or a closed stdout. A stop
// signal ends it promptly even while the reader of stdout is stalled: the
// message being written is then not acknowledged (the broker sends it again to
// a kept session), and a line already partly written may stay cut short.
ExitCode run_sub(const SubOptions& options, int out_fd);

} // namespace iot::bridge
