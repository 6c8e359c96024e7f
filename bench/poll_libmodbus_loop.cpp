// Bare libmodbus client loop, the anchor of bench/poll-tcp-rate.sh: N times FC03
// for COUNT registers over one TCP connection; prints requests per second.
//   poll_libmodbus_loop HOST PORT N [COUNT]
#include <modbus.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s HOST PORT N [COUNT]\n", argv[0]);
    return 2;
  }
  const int n = std::atoi(argv[3]);
  const int count = argc > 4 ? std::atoi(argv[4]) : 10;
  modbus_t* ctx = modbus_new_tcp(argv[1], std::atoi(argv[2]));
  if (ctx == nullptr || modbus_connect(ctx) != 0) {
    std::fprintf(stderr, "connect: %s\n", modbus_strerror(errno));
    return 4;
  }
  modbus_set_slave(ctx, 1);
  std::vector<std::uint16_t> regs(static_cast<std::size_t>(count));
  const auto t0 = std::chrono::steady_clock::now();
  int ok = 0;
  for (int i = 0; i < n; ++i)
    if (modbus_read_registers(ctx, 0, count, regs.data()) == count) ++ok;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%d %.3f %.1f\n", ok, s, ok / s);
  modbus_close(ctx);
  modbus_free(ctx);
  return ok == n ? 0 : 5;
}
