// Wire-timing check for bench/sim-wire-timing.sh: sends FC03 for 10 registers to
// an RTU pty of iot-sim N times and measures, on the reading side, how long the
// reply occupies the line (first byte to last byte, plus one character for the
// first byte's own transmission) against the wire time at the line's settings.
// Usage: sim_wire_timing PTY BAUD BITS_PER_CHAR [N]
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

static uint16_t crc16(const uint8_t* p, size_t n) {
  uint16_t crc = 0xFFFF;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int b = 0; b < 8; ++b)
      crc = (crc & 1) ? static_cast<uint16_t>((crc >> 1) ^ 0xA001) : static_cast<uint16_t>(crc >> 1);
  }
  return crc;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s PTY BAUD BITS_PER_CHAR [N]\n", argv[0]);
    return 2;
  }
  const double baud = std::atof(argv[2]), bits = std::atof(argv[3]);
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 20;
  const int fd = open(argv[1], O_RDWR | O_NOCTTY);
  if (fd < 0) {
    std::perror(argv[1]);
    return 1;
  }
  termios tio{};
  tcgetattr(fd, &tio);
  cfmakeraw(&tio);
  tcsetattr(fd, TCSANOW, &tio);
  uint8_t req[8] = {1, 3, 0, 0, 0, 10, 0, 0};
  const uint16_t c = crc16(req, 6);
  req[6] = static_cast<uint8_t>(c & 0xFF);
  req[7] = static_cast<uint8_t>(c >> 8);
  const size_t reply_len = 5 + 20;
  const double char_us = 1e6 * bits / baud;
  using clock = std::chrono::steady_clock;
  std::vector<double> occupy, total;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = clock::now();
    if (write(fd, req, sizeof req) != sizeof req) return 1;
    size_t got = 0;
    clock::time_point first{}, last{};
    uint8_t buf[256];
    while (got < reply_len) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 2000) <= 0) {
        std::fprintf(stderr, "timeout after %zu bytes\n", got);
        return 1;
      }
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return 1;
      if (got == 0) first = clock::now();
      got += static_cast<size_t>(n);
      last = clock::now();
    }
    // First to last byte spans reply_len - 1 characters; the first took one more.
    occupy.push_back(std::chrono::duration<double, std::micro>(last - first).count() + char_us);
    total.push_back(std::chrono::duration<double, std::micro>(last - t0).count());
    usleep(20000);
  }
  std::sort(occupy.begin(), occupy.end());
  std::sort(total.begin(), total.end());
  const double expect = reply_len * char_us;
  const double med = occupy[occupy.size() / 2];
  const double t35 = baud > 19200 ? 1750 : 3.5 * char_us;
  const double expect_total = sizeof req * char_us + t35 + expect;
  std::printf("reply_bytes=%zu wire_us=%.0f measured_median_us=%.0f min=%.0f max=%.0f error=%.2f%%\n", reply_len,
              expect, med, occupy.front(), occupy.back(), 100.0 * (med - expect) / expect);
  std::printf("transaction: expected_us=%.0f (request %zu chars + t3.5 + reply) measured_median_us=%.0f error=%.2f%%\n",
              expect_total, sizeof req, total[total.size() / 2],
              100.0 * (total[total.size() / 2] - expect_total) / expect_total);
  return 0;
}
