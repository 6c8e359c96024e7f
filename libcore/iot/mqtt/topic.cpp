#include "iot/mqtt/topic.hpp"

#include <fmt/format.h>

namespace iot::mqtt {

bool valid_topic_name(std::string_view topic, std::string& error) {
  if (topic.empty()) {
    error = "empty topic";
    return false;
  }
  if (topic.size() > 65535) {
    error = "topic longer than 65535 bytes";
    return false;
  }
  for (char c : topic) {
    if (c == '+' || c == '#' || c == '\0') {
      error = fmt::format("topic '{}' contains '{}', which a topic name may not (MQTT 3.1.1 §4.7.1)", topic,
                          c == '\0' ? std::string("NUL") : std::string(1, c));
      return false;
    }
  }
  return true;
}

bool valid_topic_filter(std::string_view filter, std::string& error) {
  if (filter.empty()) {
    error = "empty topic filter";
    return false;
  }
  std::string_view f = filter;
  if (f.rfind("$share/", 0) == 0) {
    f.remove_prefix(7);
    const auto slash = f.find('/');
    if (slash == 0 || slash == std::string_view::npos || slash + 1 == f.size()) {
      error = "shared subscription '" + std::string(filter) + "' must be $share/GROUP/FILTER";
      return false;
    }
    const std::string_view group = f.substr(0, slash);
    if (group.find_first_of("+#") != std::string_view::npos) {
      error = "shared subscription group '" + std::string(group) + "' may not contain '+' or '#'";
      return false;
    }
    f.remove_prefix(slash + 1);
  }
  std::size_t level_start = 0;
  for (std::size_t i = 0; i <= f.size(); ++i) {
    if (i < f.size() && f[i] != '/') continue;
    const std::string_view level = f.substr(level_start, i - level_start);
    if (level.find('#') != std::string_view::npos && (level != "#" || i != f.size())) {
      error = "'#' must be the last level of the filter '" + std::string(filter) + "' and alone in it";
      return false;
    }
    if (level.find('+') != std::string_view::npos && level != "+") {
      error = "'+' must be alone in its level of the filter '" + std::string(filter) + "'";
      return false;
    }
    level_start = i + 1;
  }
  return true;
}

} // namespace iot::mqtt
