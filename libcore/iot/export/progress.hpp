#pragma once
// A progress bar on stderr, drawn only when stderr is a terminal and at most
// ten times a second, so pipelines and logs stay clean.
#include <chrono>
#include <cstdint>
#include <string>

namespace iot::exporter {

class Progress {
public:
  // `label` prefixes the bar; `enabled` false (or stderr not a tty) makes it silent.
  Progress(std::string label, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Total bytes expected (0: unknown, a counter is shown instead of a bar).
  void set_total(std::uint64_t bytes) { m_total = bytes; }
  // Called often; redraws when enough time has passed.
  void update(std::uint64_t done_bytes, std::uint64_t items) {
    if (!m_active || (++m_calls & 0xfff) != 0) return;
    draw(done_bytes, items, false);
  }
  void finish();
  bool active() const { return m_active; }

private:
  void draw(std::uint64_t done, std::uint64_t items, bool force);

  std::string m_label;
  bool m_active;
  std::uint64_t m_total = 0;
  std::uint64_t m_calls = 0;
  bool m_drawn = false;
  std::chrono::steady_clock::time_point m_last{};
};

} // namespace iot::exporter
