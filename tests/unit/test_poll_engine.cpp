#include <fmt/format.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <mutex>

#include "iot/core/error.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/poll/engine.hpp"
#include "iot/record/record.hpp"

#include "test_lines.hpp"

using namespace iot::poll;
using namespace std::chrono_literals;

namespace {

// A bus of devices in memory: each unit answers FC03 with register value = address,
// unless it is silent. Counts the requests each unit sees.
struct FakeBus {
  std::mutex mutex;
  std::map<int, bool> silent;
  std::map<int, int> requests;
  std::vector<std::pair<int, std::vector<std::uint8_t>>> log; // unit, pdu
  std::map<int, std::uint16_t> written;
  int total = 0;       // requests so far
  int down_after = -1; // the connection dies at this request and cannot be reopened
  std::vector<std::vector<std::uint8_t>> broadcasts;
  std::function<void(int unit)> on_request; // called (bus unlocked) before each request is answered
};

class FakeClient final : public iot::transport::Client {
public:
  explicit FakeClient(FakeBus& bus) : m_bus(bus) {}
  void open() override {
    std::lock_guard lock(m_bus.mutex);
    if (m_bus.down_after >= 0 && m_bus.total >= m_bus.down_after) throw iot::io_error("connection refused");
    m_open = true;
  }
  void close() override { m_open = false; }
  bool is_open() const override { return m_open; }
  iot::transport::Reply transact(std::uint8_t unit, std::span<const std::uint8_t> pdu,
                                 std::chrono::microseconds) override {
    if (m_bus.on_request) m_bus.on_request(unit);
    std::lock_guard lock(m_bus.mutex);
    iot::transport::Reply r;
    if (m_bus.down_after >= 0 && m_bus.total >= m_bus.down_after) {
      m_open = false;
      r.status = iot::transport::ReplyStatus::io;
      r.error = "connection closed by the peer";
      return r;
    }
    m_bus.total++;
    m_bus.requests[unit]++;
    m_bus.log.emplace_back(unit, std::vector<std::uint8_t>(pdu.begin(), pdu.end()));
    r.latency = 100us;
    if (m_bus.silent[unit]) {
      r.status = iot::transport::ReplyStatus::timeout;
      r.error = "no answer";
      return r;
    }
    r.status = iot::transport::ReplyStatus::ok;
    auto req = iot::modbus::decode_pdu(pdu, iot::modbus::Direction::request);
    if (req.fc == 3) {
      std::vector<std::uint16_t> words;
      for (std::uint16_t i = 0; i < *req.count; ++i)
        words.push_back(static_cast<std::uint16_t>(*req.addr + i));
      r.pdu = iot::modbus::encode_read_registers_response(3, words);
    } else {
      if (req.fc == 6) m_bus.written[*req.addr] = req.word(0);
      r.pdu.assign(pdu.begin(), pdu.end()); // FC05/06 answer with an echo
    }
    return r;
  }
  void send_only(std::uint8_t, std::span<const std::uint8_t> pdu) override {
    std::lock_guard lock(m_bus.mutex);
    m_bus.broadcasts.emplace_back(pdu.begin(), pdu.end());
  }
  std::chrono::microseconds wire_time(std::size_t, std::size_t) const override { return 0us; }
  std::string describe() const override { return "fake"; }

private:
  FakeBus& m_bus;
  bool m_open = false;
};

PortSpec bus_of(int devices) {
  PortSpec port;
  port.name = "bus1";
  port.timing.interval = 1ms;
  port.timing.retries = 0;
  port.timing.offline_after = 3;
  port.timing.reconnect = 1h;
  for (int u = 1; u <= devices; ++u) {
    DeviceSpec d;
    d.name = "ctrl" + std::to_string(u);
    d.unit = static_cast<std::uint8_t>(u);
    for (std::uint16_t a = 0; a < 4; ++a) {
      PointSpec p;
      p.name = "ch" + std::to_string(a + 1);
      p.ref = {iot::values::Table::holding_register, a};
      p.writable = a == 0;
      d.points.push_back(p);
    }
    port.devices.push_back(d);
  }
  return port;
}

std::vector<std::string> run_engine(FakeBus& bus, PortSpec port, std::uint64_t cycles) {
  iot_test::CapturedLines captured;
  {
    Output out(make_renderer(OutputFormat::jsonl, captured.sink, false));
    EngineOptions eo;
    eo.cycles = cycles;
    std::vector<PortSpec> ports{std::move(port)};
    Engine engine(std::move(ports), out, eo,
                  [&](const iot::transport::Target&) { return std::make_unique<FakeClient>(bus); });
    engine.run();
  }
  return captured.lines();
}

int count(const std::vector<std::string>& lines, const std::string& needle) {
  int n = 0;
  for (const auto& l : lines)
    n += l.find(needle) != std::string::npos;
  return n;
}

} // namespace

TEST_CASE("iot::poll::Engine skips offline devices after offline_after misses") {
  FakeBus bus;
  for (int u : {3, 6, 9})
    bus.silent[u] = true;
  auto lines = run_engine(bus, bus_of(10), 20);
  // Silent devices saw exactly offline_after requests (one read per cycle), then were skipped.
  for (int u : {3, 6, 9})
    CHECK(bus.requests[u] == 3);
  for (int u : {1, 2, 4, 5, 7, 8, 10})
    CHECK(bus.requests[u] == 20);
  CHECK(count(lines, "\"state\":\"offline\"") == 3);
  CHECK(count(lines, "\"device\":\"ctrl3\",\"state\":\"offline\",\"reason\":\"3 requests without answer") == 1);
  // Two timeouts reported per point before it went offline, then one offline reading per point.
  CHECK(count(lines,
              "\"device\":\"ctrl6\",\"point\":\"ch1\",\"addr\":\"hr:0\",\"value\":null,\"quality\":\"timeout\"") == 2);
  CHECK(count(lines,
              "\"device\":\"ctrl6\",\"point\":\"ch2\",\"addr\":\"hr:1\",\"value\":null,\"quality\":\"offline\"") == 1);
  CHECK(count(lines,
              "\"device\":\"ctrl1\",\"point\":\"ch4\",\"addr\":\"hr:3\",\"value\":3,\"raw\":[3],\"quality\":\"ok\"") ==
        20);
  CHECK(count(lines, "\"kind\":\"stats\"") == 1);
  CHECK(count(lines, "\"requests\":149,\"answers\":140,\"timeouts\":9") == 1);
}

TEST_CASE("iot::poll::Engine re-probes an offline device and brings it back") {
  FakeBus bus;
  bus.silent[2] = true;
  PortSpec port = bus_of(2);
  port.timing.reconnect = 5ms;
  port.timing.interval = 2ms;
  std::thread revive([&] {
    std::this_thread::sleep_for(60ms);
    std::lock_guard lock(bus.mutex);
    bus.silent[2] = false;
  });
  auto lines = run_engine(bus, port, 100);
  revive.join();
  CHECK(count(lines, "\"device\":\"ctrl2\",\"state\":\"offline\"") == 1);
  CHECK(count(lines, "\"device\":\"ctrl2\",\"state\":\"online\",\"reason\":\"answered again\"") == 1);
  // Probes while offline: one request each reconnect interval, far fewer than cycles.
  CHECK(bus.requests[2] < bus.requests[1]);
  CHECK(bus.requests[1] == 100);
}

TEST_CASE("iot::poll::Engine writes go out before the next poll and are answered") {
  FakeBus bus;
  PortSpec port = bus_of(1);
  port.timing.interval = 50ms;
  iot_test::CapturedLines captured;
  {
    Output out(make_renderer(OutputFormat::jsonl, captured.sink, false));
    EngineOptions eo;
    eo.cycles = 3;
    std::vector<PortSpec> ports{std::move(port)};
    Engine engine(std::move(ports), out, eo,
                  [&](const iot::transport::Target&) { return std::make_unique<FakeClient>(bus); });
    std::string err;
    auto cmd = parse_write_command(R"({"kind":"write","device":"ctrl1","point":"ch1","value":123})", err);
    REQUIRE(cmd);
    engine.submit(*cmd);
    auto bad = parse_write_command(R"({"kind":"write","device":"ctrl1","point":"ch2","value":1})", err);
    engine.submit(*bad);
    engine.run();
  }
  const std::string text = captured.text();
  CHECK(bus.written[0] == 123);
  REQUIRE(bus.log.size() >= 2);
  CHECK(bus.log[0].second[0] == 6); // the write went first, before any read
  CHECK(text.find("\"kind\":\"write\",\"port\":\"bus1\",\"unit\":1,\"device\":\"ctrl1\",\"point\":\"ch1\",\"addr\":"
                  "\"hr:0\",\"fc\":6,\"value\":123,\"raw\":[123],\"ok\":true") != std::string::npos);
  CHECK(text.find("\"point\":\"ch2\",\"addr\":\"hr:1\",\"value\":1,\"ok\":false,\"quality\":\"error\",\"error\":"
                  "\"point is not writable") != std::string::npos);
}

TEST_CASE("iot::poll::parse_write_command") {
  std::string err;
  auto c = parse_write_command(R"({"kind":"write","device":"d","point":"p","value":true})", err);
  REQUIRE(c);
  CHECK(std::get<bool>(c->value));
  CHECK_FALSE(parse_write_command(R"({"kind":"read"})", err));
  CHECK_FALSE(parse_write_command(R"({"kind":"write","device":"d"})", err));
  CHECK_FALSE(parse_write_command("not json", err));
}

TEST_CASE("iot::poll::Engine a queued write goes before the next device read, not after the cycle") {
  FakeBus bus;
  PortSpec port = bus_of(3);
  std::unique_ptr<Engine> engine;
  bool sent = false;
  // While unit 2 is being read, a write for ctrl1 arrives (as from stdin or an alarm linkage).
  bus.on_request = [&](int unit) {
    if (unit != 2 || sent) return;
    sent = true;
    std::string err;
    engine->submit(*parse_write_command(R"({"kind":"write","device":"ctrl1","point":"ch1","value":7})", err));
  };
  iot_test::CapturedLines captured;
  {
    Output out(make_renderer(OutputFormat::jsonl, captured.sink, false));
    EngineOptions eo;
    eo.cycles = 2;
    std::vector<PortSpec> ports{std::move(port)};
    engine = std::make_unique<Engine>(std::move(ports), out, eo,
                                      [&](const iot::transport::Target&) { return std::make_unique<FakeClient>(bus); });
    engine->run();
    engine.reset();
  }
  REQUIRE(bus.log.size() == 7); // 3 reads, the write, 3 reads
  CHECK(bus.log[1].first == 2);
  CHECK(bus.log[2].first == 1);
  CHECK(bus.log[2].second[0] == 6); // the write, before unit 3's read
  CHECK(bus.log[3].first == 3);
  CHECK(bus.written[0] == 7);
}

TEST_CASE("iot::poll::Engine a broadcast write (unit 0) is reported as sent") {
  FakeBus bus;
  PortSpec port = bus_of(1);
  port.devices[0].unit = 0;
  iot_test::CapturedLines captured;
  {
    Output out(make_renderer(OutputFormat::jsonl, captured.sink, false));
    EngineOptions eo;
    eo.cycles = 1;
    std::vector<PortSpec> ports{std::move(port)};
    Engine engine(std::move(ports), out, eo,
                  [&](const iot::transport::Target&) { return std::make_unique<FakeClient>(bus); });
    std::string err;
    engine.submit(*parse_write_command(R"({"kind":"write","device":"ctrl1","point":"ch1","value":5})", err));
    engine.run();
  }
  const std::string text = captured.text();
  REQUIRE(bus.broadcasts.size() == 1);
  CHECK(bus.broadcasts[0] == iot::modbus::encode_write_single_register(0, 5));
  for (const auto& [unit, pdu] : bus.log)
    CHECK(pdu[0] != 6); // not sent as a request waiting for an answer
  CHECK(text.find(R"("unit":0,"device":"ctrl1","point":"ch1","addr":"hr:0","fc":6,"value":5,"raw":[5],"ok":true,)"
                  R"("quality":"sent"})") != std::string::npos);
}

TEST_CASE("iot::poll::Engine devices behind a dead connection go offline with offline readings") {
  FakeBus bus;
  bus.down_after = 4; // two cycles of two devices, then the connection dies for good
  auto lines = run_engine(bus, bus_of(2), 6);
  CHECK(count(lines, R"("state":"disconnected")") == 1);
  CHECK(count(lines, R"("device":"ctrl1","state":"offline","reason":")") == 1);
  CHECK(count(lines, R"("device":"ctrl2","state":"offline","reason":")") == 1);
  CHECK(count(lines, "cycles without a connection (connection refused)") >= 1);
  for (const char* dev : {"ctrl1", "ctrl2"})
    for (const char* pt : {"ch1", "ch2", "ch3", "ch4"})
      CHECK(count(lines, fmt::format(R"("device":"{}","point":"{}",)", dev, pt) + "\"addr\":\"hr:" +
                             std::to_string(pt[2] - '1') + R"(","value":null,"quality":"offline")") == 1);
}

TEST_CASE("iot::poll::Engine devices go offline when the connection cannot be opened at start") {
  FakeBus bus;
  bus.down_after = 0;
  PortSpec port = bus_of(2);
  port.timing.offline_after = 2;
  auto lines = run_engine(bus, port, 3);
  CHECK(count(lines, R"("device":"ctrl1","state":"offline","reason":"2 cycles without a connection)") == 1);
  CHECK(count(lines, R"("device":"ctrl2","state":"offline")") == 1);
  CHECK(count(lines, R"("quality":"offline")") == 8);
  CHECK(count(lines, R"("quality":"ok")") == 0);
}
