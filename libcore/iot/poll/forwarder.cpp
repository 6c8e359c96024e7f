#include "iot/poll/forwarder.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iot/cli/log.hpp"

extern char** environ;

namespace iot::poll {

AlarmForwarder::AlarmForwarder(std::string command, std::chrono::microseconds window)
    : m_command(std::move(command)), m_window(window) {
  m_thread = std::thread([this] { loop(); });
}

AlarmForwarder::~AlarmForwarder() { close(); }

void AlarmForwarder::add(const std::string& line) {
  {
    std::lock_guard lock(m_mutex);
    m_pending.push_back(line);
  }
  if (m_window.count() == 0) m_cv.notify_one();
}

void AlarmForwarder::close() {
  {
    std::lock_guard lock(m_mutex);
    if (m_closing && !m_thread.joinable()) return;
    m_closing = true;
  }
  m_cv.notify_one();
  if (m_thread.joinable()) m_thread.join();
}

void AlarmForwarder::loop() {
  auto next = std::chrono::steady_clock::now() + m_window;
  std::unique_lock lock(m_mutex);
  for (;;) {
    if (m_window.count() == 0) {
      m_cv.wait(lock, [&] { return m_closing || !m_pending.empty(); });
    } else {
      m_cv.wait_until(lock, next, [&] { return m_closing; });
      if (std::chrono::steady_clock::now() >= next) next += m_window;
    }
    std::vector<std::string> batch;
    batch.swap(m_pending);
    const bool closing = m_closing;
    lock.unlock();
    if (!batch.empty()) deliver(batch);
    lock.lock();
    if (closing && m_pending.empty()) return;
  }
}

void AlarmForwarder::deliver(const std::vector<std::string>& lines) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    log::error("--on-alarm: pipe: {}", std::strerror(errno));
    return;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
  posix_spawn_file_actions_adddup2(&fa, 2, 1);  // the command's output must not mix with our records
  const char* argv[] = {"sh", "-c", m_command.c_str(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/bin/sh", &fa, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    log::error("--on-alarm: cannot run sh: {}", std::strerror(rc));
    return;
  }
  std::string data;
  for (const auto& l : lines) {
    data += l;
    data += '\n';
  }
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fds[1], data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EPIPE: the command does not read its input; that is its business
    }
    off += static_cast<std::size_t>(n);
  }
  ::close(fds[1]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    log::warn("--on-alarm command failed (status {}) for {} alarm(s)", WIFEXITED(status) ? WEXITSTATUS(status) : -1, lines.size());
  ++m_batches;
}

}  // namespace iot::poll
