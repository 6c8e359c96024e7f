#include "iot/core/signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>

namespace iot {

namespace {
std::atomic<int> g_stop_signal{0};
int g_stop_pipe[2] = {-1, -1};

void on_stop_signal(int sig) {
  int expected = 0;
  g_stop_signal.compare_exchange_strong(expected, sig);
  if (g_stop_pipe[1] >= 0) {
    char byte = 1;
    [[maybe_unused]] auto n = ::write(g_stop_pipe[1], &byte, 1);
  }
}
} // namespace

void install_signal_handlers() {
  if (g_stop_pipe[0] < 0 && ::pipe2(g_stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    g_stop_pipe[0] = g_stop_pipe[1] = -1;
  }
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);

  struct sigaction stop {};
  stop.sa_handler = on_stop_signal;
  sigemptyset(&stop.sa_mask);
  stop.sa_flags = 0; // no SA_RESTART: a blocking read returns EINTR so loops see the flag
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
}

bool stop_requested() noexcept { return g_stop_signal.load(std::memory_order_relaxed) != 0; }
int stop_signal() noexcept { return g_stop_signal.load(std::memory_order_relaxed); }
int stop_fd() noexcept { return g_stop_pipe[0]; }
void request_stop() noexcept { on_stop_signal(-1); }

void throw_if_stop_requested() {
  if (stop_requested()) throw StopRequested();
}

} // namespace iot
