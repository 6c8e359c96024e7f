#pragma once
// Alarm forwarding (the seed's SMS and e-mail forwarding, left to any command):
// `--on-alarm CMD` runs `sh -c CMD` with alarm records, one JSON line each, on its
// stdin. With no window every alarm goes out at once (alarms that arrive while
// the command runs are batched into its next run); with a window (e.g. 6h) the
// alarms are gathered and sent together once per window. Pending alarms are sent
// when the poller stops. The command's stdout goes to our stderr, so it cannot
// mix with the records. A command still running after `timeout` (--alarm-timeout) is
// killed with its process group (SIGTERM, then SIGKILL a second later): a hung mailer
// must not hold the alarms that follow for ever.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace iot::poll {

class AlarmForwarder {
public:
  AlarmForwarder(std::string command, std::chrono::microseconds window,
                 std::chrono::microseconds timeout = std::chrono::seconds(30));
  ~AlarmForwarder(); // sends what is pending, waits for the command
  AlarmForwarder(const AlarmForwarder&) = delete;
  AlarmForwarder& operator=(const AlarmForwarder&) = delete;

  void add(const std::string& line);
  void close();
  std::size_t batches_sent() const { return m_batches; }

private:
  void loop();
  void deliver(const std::vector<std::string>& lines);

  std::string m_command;
  std::chrono::microseconds m_window;
  std::chrono::microseconds m_timeout;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<std::string> m_pending;
  bool m_closing = false;
  std::size_t m_batches = 0;
  std::thread m_thread;
};

} // namespace iot::poll
