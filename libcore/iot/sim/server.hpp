#pragma once
// The simulator's server, shared by the files that implement it (private to iot/sim):
//  - server.cpp: the event loop, endpoints, connections and timers;
//  - framing.cpp: requests cut out of what a connection received (modbus::StreamSplitter);
//  - faults.cpp: serving one request, with the faults set on its device;
//  - commands.cpp: command lines on stdin;
//  - fleets.cpp: the Acrel meter fleets of mqtt:// ports;
//  - sim.cpp: the records it writes (ready, stats, frame, write, ack) and the entry points.
#include <sys/socket.h>
#include <time.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "iot/config/site.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/modbus/stream_splitter.hpp"
#include "iot/record/output.hpp"
#include "iot/sim/command.hpp"
#include "iot/sim/device.hpp"
#include "iot/sim/fault.hpp"
#include "iot/sim/meter.hpp"
#include "iot/sim/sim.hpp"
#include "iot/transport/serial.hpp"
#include "iot/transport/target.hpp"

namespace iot::sim::detail {

inline std::int64_t mono_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

using modbus::Bytes;
using modbus::Framing;

enum class EndpointKind { tcp_listen, udp, serial };

struct SimDevice;

struct Endpoint {
  const config::Port* port = nullptr;
  EndpointKind kind = EndpointKind::tcp_listen;
  Framing framing = Framing::tcp; // of the frames: tcp (also UDP), rtu_over_tcp, rtu, ascii
  int fd = -1;                    // network ports own it; serial lines belong to `pty` or `serial`
  transport::Pty pty;             // rtu:pty, ascii:pty, --pty
  transport::SerialLine serial;   // a real serial device
  std::string url, path;
  std::array<SimDevice*, 256> by_unit{};
  std::vector<SimDevice*> devices;
  std::int64_t char_us = 0; // serial: one character on the wire
  std::int64_t t35_us = 0;  // serial: inter-frame silence
  bool network() const { return kind != EndpointKind::serial; }
};

struct SimDevice {
  std::unique_ptr<Device> dev;
  FaultSet faults;
  Endpoint* ep = nullptr;
};

struct Chunk {
  std::int64_t due = 0;
  Bytes data;
  std::size_t pos = 0;
  std::int64_t us_per_byte = 0;
  bool close_after = false;
  sockaddr_storage peer{};
  socklen_t peer_len = 0;
};

struct Conn {
  std::uint64_t id = 0;
  int fd = -1;
  Endpoint* ep = nullptr;
  bool datagram = false;
  std::optional<modbus::StreamSplitter> split; // the requests in what has come
  std::int64_t first_rx = 0;                   // when the first byte of the pending input arrived
  std::int64_t last_rx = 0;
  std::deque<Chunk> out;
  bool epollout = false;
  std::int64_t line_free = 0; // serial: the line is silent from here on
};

inline constexpr std::uint64_t k_tag_stop = 1, k_tag_stdin = 2, k_tag_timer = 3, k_tag_listener = 0x100;
inline constexpr std::uint64_t k_first_conn_id = 1ull << 32;
inline constexpr std::uint64_t k_timer_duration = 0; // timer id that ends the run
inline constexpr std::uint64_t k_timer_fleet = 1;    // timer id: are all meters of the mqtt ports connected yet?

struct Fleet {
  const config::Port* port = nullptr;
  std::unique_ptr<acrel::MeterFleet> fleet;
  std::vector<MeterHandle> meters; // in the fleet's order
  bool all_up = false;
};

// The Acrel meter fleets of a site's mqtt:// ports (fleets.cpp): started with the server and
// reached by the commands that name a meter or an mqtt port. Iterates as its fleets.
class Fleets {
public:
  // One fleet per mqtt:// port of `site`, started; generator time 0 is `start_wall`.
  void start(const config::Site& site, TimePoint start_wall);
  // Diagnostics only: logs each port whose meters have all connected, `since_start_ms` after
  // the start; true while some have not.
  bool check_connected(std::int64_t since_start_ms);
  // Runs `cmd` on meters; false when it names none. Sets got/affected like run_command.
  bool run_command(const Command& cmd, std::optional<double>& got, std::size_t& affected);
  // Clears the fault of every meter; returns how many meters there are.
  std::size_t clear_all();
  // Disconnects every meter; the counters stay for the stats record.
  void stop();

  bool empty() const { return m_fleets.empty(); }
  std::vector<Fleet>::const_iterator begin() const { return m_fleets.begin(); }
  std::vector<Fleet>::const_iterator end() const { return m_fleets.end(); }

private:
  // The meters a command names (by device or mqtt port); empty when it names a Modbus device.
  std::vector<std::pair<Fleet*, std::size_t>> meter_targets(const Command& cmd);

  std::vector<Fleet> m_fleets; // one per mqtt:// port
};

struct Stats {
  std::uint64_t requests = 0, answers = 0, exceptions = 0, faults = 0, writes = 0, unknown_unit = 0, bad_frames = 0,
                connections = 0, commands = 0, command_errors = 0;
};

class Server {
public:
  Server(const config::Site& site, const Options& opt, LineSink& out) : m_site(site), m_opt(opt), m_out(out) {}
  ~Server();
  ExitCode run();

private:
  void build_devices();
  void start_fleets();
  void check_fleets();
  void open_endpoints();
  void open_tcp(Endpoint& ep, const transport::Target& t, bool datagram);
  void open_serial_ep(Endpoint& ep, const transport::Target& t);
  void write_ready();
  void write_site_out();
  void write_stats();

  Conn& add_conn(int fd, Endpoint* ep, bool datagram);
  void close_conn(std::uint64_t id);
  void on_accept(Endpoint& ep);
  void on_readable(Conn& c);
  void on_udp(Conn& c);
  bool process_input(Conn& c); // false when the connection was closed
  void on_timer(std::uint64_t id);
  void flush(Conn& c);
  void set_epollout(Conn& c, bool on);
  void add_timer(std::int64_t due, std::uint64_t id);
  void arm_timer();

  // Serves one request frame. Returns false when the connection was closed.
  bool serve(Conn& c, std::span<const std::uint8_t> frame, std::uint8_t unit, std::span<const std::uint8_t> pdu,
             std::uint16_t tid, const sockaddr_storage* peer, socklen_t peer_len);
  void log_request(const Endpoint& ep, std::span<const std::uint8_t> frame, const SimDevice* d, const FaultAction* act,
                   std::span<const std::uint8_t> reply);
  void log_write(const SimDevice& d, const WriteEvent& e);

  void on_stdin();
  void run_command(std::string_view line);
  std::vector<SimDevice*> targets(const Command& cmd);

  double sim_time() const { return static_cast<double>(mono_us() - m_start_us) / 1e6; }

  const config::Site& m_site;
  Options m_opt;
  LineSink& m_out;
  std::int64_t m_start_us = mono_us();
  int m_ep = -1;
  int m_timer_fd = -1;
  std::vector<std::unique_ptr<Endpoint>> m_endpoints;
  std::vector<std::unique_ptr<SimDevice>> m_devices;
  std::unordered_map<std::string, SimDevice*> m_by_name;
  std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> m_conns;
  std::uint64_t m_next_id = k_first_conn_id;
  using Timer = std::pair<std::int64_t, std::uint64_t>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> m_timers;
  std::int64_t m_armed = -1;
  Stats m_stats;
  Fleets m_fleets;
  Bytes m_pdu_out, m_adu_out;
  std::uint64_t m_noise_seed = 0xC0FFEE;
  std::string m_stdin_buf;
  bool m_stdin_open = false;
  modbus::DecodedFrame m_frame;
};

// How a connection of `ep` cuts requests out of what it receives (framing.cpp).
modbus::StreamSplitterOptions request_splitter_options(const Endpoint& ep);

} // namespace iot::sim::detail
