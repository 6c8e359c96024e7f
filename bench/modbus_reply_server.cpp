// The anchor of bench/sim-throughput.sh: the classic libmodbus server loop
// (modbus_receive + modbus_reply) on one TCP connection at a time, with 125
// holding registers. Usage: modbus_reply_server PORT
#include <modbus/modbus.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  modbus_t* ctx = modbus_new_tcp("127.0.0.1", std::atoi(argv[1]));
  modbus_mapping_t* map = modbus_mapping_new(0, 0, 125, 0);
  for (int i = 0; i < 125; ++i)
    map->tab_registers[i] = static_cast<uint16_t>(i);
  int server = modbus_tcp_listen(ctx, 1);
  if (server < 0) {
    std::perror("listen");
    return 1;
  }
  std::printf("listening\n");
  std::fflush(stdout);
  uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  for (;;) {
    if (modbus_tcp_accept(ctx, &server) < 0) break;
    for (;;) {
      const int rc = modbus_receive(ctx, query);
      if (rc > 0)
        modbus_reply(ctx, query, rc, map);
      else if (rc == -1)
        break;
    }
    modbus_close(ctx);
  }
  modbus_mapping_free(map);
  modbus_free(ctx);
  return 0;
}
