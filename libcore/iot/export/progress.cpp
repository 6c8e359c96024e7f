#include "iot/export/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace iot::exporter {

Progress::Progress(std::string label, bool enabled)
    : m_label(std::move(label)), m_active(enabled && ::isatty(2) == 1) {}

Progress::~Progress() { finish(); }

void Progress::draw(std::uint64_t done, std::uint64_t items, bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - m_last < std::chrono::milliseconds(100)) return;
  m_last = now;
  char line[160];
  int n;
  if (m_total > 0) {
    constexpr int k_width = 30;
    double frac = done >= m_total ? 1.0 : static_cast<double>(done) / static_cast<double>(m_total);
    int fill = static_cast<int>(frac * k_width);
    char bar[k_width + 1];
    for (int i = 0; i < k_width; ++i)
      bar[i] = i < fill ? '#' : '.';
    bar[k_width] = '\0';
    n = std::snprintf(line, sizeof line, "\r%s [%s] %3d%% %llu records", m_label.c_str(), bar,
                      static_cast<int>(frac * 100), static_cast<unsigned long long>(items));
  } else {
    n = std::snprintf(line, sizeof line, "\r%s %llu records", m_label.c_str(), static_cast<unsigned long long>(items));
  }
  if (n > 0) [[maybe_unused]]
    auto w = ::write(2, line, static_cast<std::size_t>(n) < sizeof line ? n : sizeof line - 1);
  m_drawn = true;
}

void Progress::finish() {
  if (!m_active || !m_drawn) return;
  // Clear the line so later diagnostics start at column 0.
  static const char k_clear[] = "\r\033[K";
  [[maybe_unused]] auto w = ::write(2, k_clear, sizeof k_clear - 1);
  m_drawn = false;
}

} // namespace iot::exporter
