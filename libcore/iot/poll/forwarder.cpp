#include "iot/poll/forwarder.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "iot/core/log.hpp"

extern char** environ;

namespace iot::poll {

AlarmForwarder::AlarmForwarder(std::string command, std::chrono::microseconds window, std::chrono::microseconds timeout)
    : m_command(std::move(command)), m_window(window), m_timeout(timeout) {
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
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + m_timeout;
  const auto ms_left = [&] {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1000));
  };
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    log::error("--on-alarm: pipe: {}", std::strerror(errno));
    return;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
  posix_spawn_file_actions_adddup2(&fa, 2, 1); // the command's output must not mix with our records
  // Its own process group, so that a timeout kills what sh started too.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  const char* argv[] = {"sh", "-c", m_command.c_str(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
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
  // Written without blocking past the deadline: a command that does not read must not hang us.
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  std::size_t off = 0;
  while (off < data.size() && clock::now() < deadline) {
    const ssize_t n = ::write(fds[1], data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fds[1], POLLOUT, 0};
        ::poll(&p, 1, std::max(1, ms_left()));
        continue;
      }
      break; // EPIPE: the command does not read its input; that is its business
    }
    off += static_cast<std::size_t>(n);
  }
  ::close(fds[1]);
  int status = 0;
  bool timed_out = false;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (clock::now() >= deadline) {
      timed_out = true;
      ::kill(-pid, SIGTERM);
      for (int i = 0; i < 100 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
        ::poll(nullptr, 0, 10);
      ::kill(-pid, SIGKILL); // the group: whatever sh started is gone too
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    ::poll(nullptr, 0, 20);
  }
  if (timed_out)
    log::warn("--on-alarm command killed after --alarm-timeout {} ms for {} alarm(s)",
              std::chrono::duration_cast<std::chrono::milliseconds>(m_timeout).count(), lines.size());
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    log::warn("--on-alarm command failed (status {}) for {} alarm(s)", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
              lines.size());
  ++m_batches;
}

} // namespace iot::poll
