#include "iot/core/log.hpp"

#include <unistd.h>

#include <mutex>

namespace iot::log {

namespace {
std::string g_program = "iot";
int g_level = static_cast<int>(Level::warning);
std::mutex g_mutex;
} // namespace

void init(std::string program, int verbosity) {
  g_program = std::move(program);
  g_level = static_cast<int>(Level::warning) + verbosity;
}

bool enabled(Level level) { return static_cast<int>(level) <= g_level; }

const std::string& program() { return g_program; }

void write(Level level, std::string_view message) {
  if (!enabled(level) && level != Level::error) return;
  static constexpr std::string_view names[] = {"error", "warning", "info", "debug"};
  std::string line;
  line.reserve(g_program.size() + message.size() + 16);
  line.append(g_program).append(": ").append(names[static_cast<int>(level)]).append(": ").append(message);
  line.push_back('\n');
  std::lock_guard lock(g_mutex);
  // One write per message so lines from threads do not interleave.
  [[maybe_unused]] auto n = ::write(2, line.data(), line.size());
}

} // namespace iot::log
