#pragma once
// Validity of topic names and topic filters (MQTT 3.1.1 §4.7, MQTT 5.0 §4.7 and
// §4.8.2). `error` says what is wrong, for a usage error or a skipped line.
#include <string>
#include <string_view>

namespace iot::mqtt {

// Whether `topic` is a valid topic name to publish to (MQTT 3.1.1 §4.7: not
// empty, no wildcards, no NUL, at most 65535 bytes).
bool valid_topic_name(std::string_view topic, std::string& error);

// Subscription filter validity (MQTT 3.1.1 §4.7.1: '#' last and alone in its
// level, '+' alone in its level; $share/GROUP/FILTER as in MQTT 5 §4.8.2).
bool valid_topic_filter(std::string_view filter, std::string& error);

} // namespace iot::mqtt
