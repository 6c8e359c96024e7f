// iot::net: records over UDP — the envelope, sequence bookkeeping, URLs, and
// forward → receive over loopback sockets.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "iot/core/error.hpp"
#include "iot/net/udp.hpp"

using namespace iot::net;

TEST_CASE("iot::net::parse_udp_url") {
  auto u = parse_udp_url("udp://127.0.0.1:5005");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 5005);
  CHECK(u.text() == "udp://127.0.0.1:5005");
  auto v = parse_udp_url("udp://[::1]:9");
  CHECK(v.host == "::1");
  CHECK(v.text() == "udp://[::1]:9");
  CHECK_THROWS_AS(parse_udp_url("tcp://h:1"), iot::Error);
  CHECK_THROWS_AS(parse_udp_url("udp://h"), iot::Error);
  CHECK_THROWS_AS(parse_udp_url("udp://h:70000"), iot::Error);
  CHECK_THROWS_AS(parse_udp_url("udp://:5"), iot::Error);
}

TEST_CASE("iot::net envelope round trip") {
  std::string d;
  wrap_record(d, R"( {"kind":"reading","value":1.5} )", "s-1", 17);
  CHECK(d == R"({"udp":{"stream":"s-1","seq":17},"kind":"reading","value":1.5})");
  std::string rec;
  auto e = unwrap_record(d, rec);
  REQUIRE(e);
  CHECK(e->stream == "s-1");
  CHECK(e->seq == 17);
  CHECK(rec == R"({"kind":"reading","value":1.5})");
  d.clear();
  wrap_record(d, "{}", "x", 0);
  CHECK(d == R"({"udp":{"stream":"x","seq":0}})");
  e = unwrap_record(d, rec);
  REQUIRE(e);
  CHECK(rec == "{}");
  // Not our envelope: passed on as it is.
  CHECK_FALSE(unwrap_record(R"({"kind":"reading"})", rec));
  CHECK(rec == R"({"kind":"reading"})");
  CHECK_FALSE(unwrap_record(R"({"udp": {"stream":"x","seq":1},"a":1})", rec));
  CHECK_FALSE(unwrap_record(R"({"udp":{"stream":"x","seq":},"a":1})", rec));
  CHECK(valid_stream_name("plant-1.a_b"));
  CHECK_FALSE(valid_stream_name("a\"b"));
  CHECK_FALSE(valid_stream_name(""));
}

TEST_CASE("iot::net::SequenceTracker counts gaps, late and duplicate datagrams") {
  SequenceTracker t;
  CHECK(t.add("a:1", "s", 5).new_stream); // started listening late: nothing lost yet
  CHECK(t.add("a:1", "s", 6).lost == 0);
  CHECK(t.add("a:1", "s", 9).lost == 2); // 7 and 8
  CHECK(t.lost() == 2);
  auto late = t.add("a:1", "s", 7); // 7 arrives after all
  CHECK(late.late);
  CHECK(t.lost() == 1);
  CHECK(t.add("a:1", "s", 7).late); // a duplicate: late, lost unchanged
  CHECK(t.lost() == 1);
  CHECK(t.late() == 2);
  CHECK(t.add("b:2", "s", 0).new_stream); // another sender, same stream name: its own numbers
  CHECK(t.add("a:1", "t", 0).new_stream); // the sender restarted with a new stream
  CHECK(t.streams() == 3);
}

TEST_CASE("iot::net forward and receive over loopback") {
  // A receiver on an ephemeral port is not reachable by URL; pick a port by binding first.
  int probe = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  ::close(probe);

  char out_path[] = "/tmp/iot-unit-udp-out.XXXXXX";
  const int out_fd = ::mkstemp(out_path);
  ReceiveOptions ro;
  ro.listen = parse_udp_url("udp://127.0.0.1:" + std::to_string(port));
  ro.count = 3;
  ro.duration = std::chrono::seconds(20);
  iot::ExitCode rc_recv = iot::ExitCode::internal;
  std::thread rx([&] { rc_recv = run_receive(ro, out_fd); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200)); // the receiver binds first

  char in_path[] = "/tmp/iot-unit-udp-in.XXXXXX";
  const int in_fd = ::mkstemp(in_path);
  const std::string input = std::string(R"({"kind":"reading","n":1})") + "\nnot json\n" +
                            R"({"kind":"reading","n":2,"big":")" + std::string(300, 'x') + "\"}\n" +
                            R"({"kind":"reading","n":3})" + "\n" + R"({"kind":"reading","n":4})" + "\n";
  REQUIRE(::write(in_fd, input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  ::lseek(in_fd, 0, SEEK_SET);
  char stats_path[] = "/tmp/iot-unit-udp-stats.XXXXXX";
  const int stats_fd = ::mkstemp(stats_path);
  ForwardOptions fo;
  fo.targets = {ro.listen};
  fo.max_datagram = 200; // the record with "big" does not fit
  fo.stream = "unit";
  fo.rate = 200;
  CHECK(run_forward(fo, in_fd, stats_fd) == iot::ExitCode::bad_input);
  rx.join();
  CHECK(rc_recv == iot::ExitCode::ok);

  std::ifstream got(out_path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(got, l);)
    lines.push_back(l);
  REQUIRE(lines.size() == 4); // 3 records and the stats record
  CHECK(lines[0] == R"({"kind":"reading","n":1})");
  CHECK(lines[1] == R"({"kind":"reading","n":3})");
  CHECK(lines[2] == R"({"kind":"reading","n":4})");
  CHECK(lines[3].find(R"("records":3,"not_records":0,"senders":1,"streams":1,"lost":0)") != std::string::npos);
  std::ifstream st(stats_path);
  std::string stats;
  std::getline(st, stats);
  CHECK(stats.find(R"("stream":"unit","records":4,"sent":3,"targets":1,"too_big":1,"bad_lines":1)") !=
        std::string::npos);
  for (int fd : {out_fd, in_fd, stats_fd})
    ::close(fd);
  for (const char* p : {out_path, in_path, stats_path})
    std::remove(p);
}
