// A libmodbus client loop: FC03 for `count` registers, as fast as the server
// answers, for `seconds`. Prints requests per second. Used by bench/sim-*.sh.
// Usage: sim_read_loop HOST PORT SECONDS [COUNT] [UNIT]
#include <modbus/modbus.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s HOST PORT SECONDS [COUNT] [UNIT]\n", argv[0]);
    return 2;
  }
  const double seconds = std::atof(argv[3]);
  const int count = argc > 4 ? std::atoi(argv[4]) : 10;
  const int unit = argc > 5 ? std::atoi(argv[5]) : 1;
  modbus_t* ctx = modbus_new_tcp(argv[1], std::atoi(argv[2]));
  modbus_set_slave(ctx, unit);
  if (modbus_connect(ctx) != 0) {
    std::fprintf(stderr, "connect: %s\n", modbus_strerror(errno));
    return 1;
  }
  uint16_t regs[125];
  long n = 0, errors = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 100; ++i) {
      if (modbus_read_registers(ctx, 0, count, regs) != count) ++errors;
      ++n;
    }
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  std::printf("%.0f %ld %ld\n", static_cast<double>(n) / elapsed, n, errors);
  modbus_close(ctx);
  modbus_free(ctx);
  return errors == 0 ? 0 : 1;
}
