// Load for bench/sim-connections.sh: N TCP connections, each sending FC03 for
// 10 registers every `period_ms`, from one epoll loop. Prints requests sent,
// answers received and the answer rate. Usage:
//   sim_many_clients HOST PORT CONNECTIONS PERIOD_MS SECONDS [UNITS]
// Connection i asks unit 1 + i % UNITS.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s HOST PORT CONNECTIONS PERIOD_MS SECONDS [UNITS]\n", argv[0]);
    return 2;
  }
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  const int conns = std::atoi(argv[3]);
  const long period_us = std::atol(argv[4]) * 1000;
  const double seconds = std::atof(argv[5]);
  const int units = argc > 6 ? std::atoi(argv[6]) : 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  inet_pton(AF_INET, argv[1], &addr.sin_addr);
  const int ep = epoll_create1(0);
  std::vector<int> fds(conns);
  for (int i = 0; i < conns; ++i) {
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::perror("connect");
      return 1;
    }
    int one = 1;
    setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
  }
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto us_since = [&] { return std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - start).count(); };
  // Spread the connections over the period so the load is even.
  std::vector<long> next(conns);
  for (int i = 0; i < conns; ++i)
    next[i] = period_us * i / conns;
  long sent = 0, answers = 0;
  uint16_t tid = 0;
  epoll_event evs[256];
  while (us_since() < static_cast<long>(seconds * 1e6)) {
    const long now = us_since();
    long soonest = now + period_us;
    for (int i = 0; i < conns; ++i) {
      if (next[i] <= now) {
        ++tid;
        const uint8_t unit = static_cast<uint8_t>(1 + i % units);
        uint8_t req[12] = {static_cast<uint8_t>(tid >> 8), static_cast<uint8_t>(tid), 0, 0, 0, 6, unit, 3, 0, 0, 0, 8};
        if (write(fds[i], req, sizeof req) == sizeof req) ++sent;
        next[i] += period_us;
      }
      if (next[i] < soonest) soonest = next[i];
    }
    const long wait_ms = std::max(0L, (soonest - us_since()) / 1000);
    const int n = epoll_wait(ep, evs, 256, static_cast<int>(wait_ms));
    for (int k = 0; k < n; ++k) {
      uint8_t buf[4096];
      const ssize_t got = read(fds[evs[k].data.u32], buf, sizeof buf);
      if (got > 0) answers += got / 25; // 9-byte header + 16 bytes for 8 registers
    }
  }
  std::printf("%ld %ld %.1f\n", sent, answers, static_cast<double>(answers) / seconds);
  return 0;
}
