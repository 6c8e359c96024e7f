#pragma once
// Diagnostics to stderr, never stdout: "<tool>: <level>: <message>".
#include <fmt/format.h>

#include <string>
#include <string_view>

namespace iot::log {

enum class Level { error = 0, warning = 1, info = 2, debug = 3 };

// Set once by the CLI layer: the program name and the level (-q/-v).
void init(std::string program, int verbosity);
bool enabled(Level level);
void write(Level level, std::string_view message);
const std::string& program();

template <typename... Args> void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::error, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args> void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::warning)) write(Level::warning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args> void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::info)) write(Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args> void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::debug)) write(Level::debug, fmt::format(f, std::forward<Args>(args)...));
}

} // namespace iot::log
