#include <catch2/catch.hpp>

#include "iot/core/error.hpp"
#include "iot/transport/target.hpp"

using namespace iot::transport;

TEST_CASE("iot::transport::parse_target network") {
  auto t = parse_target("tcp://192.168.1.10:1502");
  CHECK(t.scheme == Scheme::tcp);
  CHECK(t.host == "192.168.1.10");
  CHECK(t.port == 1502);
  CHECK(t.uses_mbap());
  t = parse_target("tcp://plc.local");
  CHECK(t.port == 502);
  t = parse_target("udp://10.0.0.1");
  CHECK(t.scheme == Scheme::udp);
  CHECK(t.uses_mbap());
  t = parse_target("rtu+tcp://gw:4001");
  CHECK(t.scheme == Scheme::rtu_over_tcp);
  CHECK(t.uses_rtu_framing());
  CHECK_FALSE(t.uses_mbap());
  CHECK(t.is_network());
  t = parse_target("tcp://[::1]:5020");
  CHECK(t.host == "::1");
  CHECK(t.port == 5020);
  CHECK(to_string(t) == "tcp://[::1]:5020");
  t = parse_target("localhost:5020");
  CHECK(t.scheme == Scheme::tcp);
  CHECK(t.port == 5020);
  CHECK(to_string(parse_target("TCP://h")) == "tcp://h:502");
}

TEST_CASE("iot::transport::parse_target serial") {
  auto t = parse_target("rtu:/dev/ttyUSB0");
  CHECK(t.scheme == Scheme::rtu);
  CHECK(t.device == "/dev/ttyUSB0");
  CHECK(t.serial == SerialSettings{19200, Parity::even, 8, 1, Rts::none});
  t = parse_target("rtu:/dev/ttyUSB0?baud=9600&parity=N&data=8&stop=2&rts=up");
  CHECK(t.serial == SerialSettings{9600, Parity::none, 8, 2, Rts::up});
  CHECK(to_string(t) == "rtu:/dev/ttyUSB0?baud=9600&parity=N&data=8&stop=2&rts=up");
  CHECK(describe(t.serial) == "9600 8N2");
  t = parse_target("rtu:pty");
  CHECK(t.pty);
  CHECK(t.device.empty());
  CHECK(to_string(t) == "rtu:pty?baud=19200&parity=E&data=8&stop=1");
  t = parse_target("ascii:pty?parity=odd");
  CHECK(t.scheme == Scheme::ascii);
  CHECK(t.pty);
  CHECK(t.serial.data_bits == 7); // Modbus ASCII default 7E1
  CHECK(t.serial.parity == Parity::odd);
  t = parse_target("/dev/ttyS1");
  CHECK(t.scheme == Scheme::rtu);
  CHECK(t.is_serial());
  t = parse_target("rtu:///dev/ttyS1");
  CHECK(t.device == "/dev/ttyS1");
}

TEST_CASE("iot::transport::parse_target errors") {
  CHECK_THROWS_WITH(parse_target("tcp://h:70000"),
                    "invalid target 'tcp://h:70000': port '70000' is not a number from 0 to 65535");
  CHECK_THROWS_WITH(parse_target("tcp://"), Catch::Contains("the host is missing"));
  CHECK_THROWS_WITH(parse_target("mqtt://h"), Catch::Contains("unknown scheme"));
  CHECK_THROWS_WITH(parse_target("rtu:"), Catch::Contains("the serial device is missing"));
  CHECK_THROWS_WITH(parse_target("rtu:/dev/x?baud=fast"), Catch::Contains("baud 'fast' is not a rate"));
  CHECK_THROWS_WITH(parse_target("rtu:/dev/x?parity=X"), Catch::Contains("parity 'X' must be N, E or O"));
  CHECK_THROWS_WITH(parse_target("rtu:/dev/x?data=9"), Catch::Contains("data bits '9' must be 7 or 8"));
  CHECK_THROWS_WITH(parse_target("rtu:/dev/x?stop=3"), Catch::Contains("stop bits '3' must be 1 or 2"));
  CHECK_THROWS_WITH(parse_target("rtu:/dev/x?rts=sideways"),
                    Catch::Contains("rts 'sideways' must be none, up or down"));
  CHECK_THROWS_WITH(parse_target("rtu:/dev/x?speed=9600"), Catch::Contains("unknown setting 'speed'"));
  CHECK_THROWS_WITH(parse_target("rtu:/dev/x?baud"), Catch::Contains("'baud' is not key=value"));
  CHECK_THROWS_WITH(parse_target("tcp://h:502?x=1"), Catch::Contains("network targets take no ?settings"));
  CHECK_THROWS_WITH(parse_target(""), Catch::Contains("empty"));
  CHECK_THROWS_AS(parse_target("tcp://[::1"), iot::Error);
}

TEST_CASE("iot::transport names every scheme, parity and RTS mode as parse_target reads it") {
  for (Scheme s : {Scheme::tcp, Scheme::udp, Scheme::rtu_over_tcp}) {
    CHECK(parse_target(std::string(scheme_name(s)) + "://h").scheme == s);
  }
  for (Scheme s : {Scheme::rtu, Scheme::ascii}) {
    CHECK(parse_target(std::string(scheme_name(s)) + ":/dev/ttyS0").scheme == s);
  }
  CHECK(scheme_name(Scheme::rtu_over_tcp) == "rtu+tcp");
  for (Parity p : {Parity::none, Parity::even, Parity::odd}) {
    CHECK(parse_parity(parity_name(p)) == p);
  }
  CHECK(parity_name(Parity::odd) == "O");
  for (Rts r : {Rts::none, Rts::up, Rts::down}) {
    CHECK(parse_rts(rts_name(r)) == r);
  }
  CHECK(rts_name(Rts::down) == "down");
  CHECK(describe(SerialSettings{9600, Parity::none, 8, 2, Rts::none}) == "9600 8N2");
}
