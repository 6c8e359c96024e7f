#pragma once
// `iot-mqtt-bridge pub`: stdin records → MQTT messages, without silent loss.
//
// Every line becomes a message (message_map.hpp). Messages go out through an
// in-flight window: at most `window` sent and not yet acknowledged (PUBACK /
// PUBCOMP for QoS 1/2; for QoS 0, written to the socket). When the connection
// drops, everything in flight is sent again after the reconnect (duplicates
// are possible, loss is not). Without a spool, stdin is simply not read while
// the window and a small queue are full, so memory stays bounded. With
// --spool DIR every message is first appended to the spool (spool.hpp) and
// sent from there; acknowledgements move the spool's cursor, so a restarted
// bridge resumes where the broker stopped acknowledging.
//
// At end of input it waits until every message is acknowledged (or, with
// --drain-timeout, until that much time has passed: without a spool what is
// left is counted as dropped; with one it stays in the spool for the next run).
#include <chrono>
#include <cstdint>
#include <optional>

#include "iot/bridge/message_map.hpp"
#include "iot/core/exit_code.hpp"
#include "iot/mqtt/options.hpp"
#include "iot/mqtt/spool.hpp"

namespace iot::bridge {

struct PubOptions {
  mqtt::ConnectOptions connect;
  MapOptions map;
  std::size_t window = 1000; // messages in flight
  std::optional<mqtt::SpoolOptions> spool;
  std::optional<std::chrono::milliseconds> drain_timeout; // none: wait until delivered
  bool stats = true;                                      // write a stats record at the end
  std::optional<std::chrono::milliseconds> stats_every;   // also write one this often
};

// Counters of one run; written as the `stats` record (see iot-mqtt-bridge(1)).
struct PubStats {
  std::uint64_t lines = 0;          // lines read from stdin
  std::uint64_t skipped = 0;        // lines refused (malformed, no topic, oversize)
  std::uint64_t published = 0;      // PUBLISH packets sent, the library's resends after a reconnect included
  std::uint64_t acknowledged = 0;   // messages the broker acknowledged (QoS 0: written)
  std::uint64_t resent = 0;         // messages sent again after a connection loss, or replayed from the spool at start
  std::uint64_t dropped = 0;        // messages given up (full spool, or left unsent at exit without a spool)
  std::uint64_t dead_letter = 0;    // messages the broker refused by disconnecting, moved aside (also in dropped)
  std::uint64_t connects = 0;       // successful connections (1 + reconnects)
  std::uint64_t queued = 0;         // read, not yet handed to the client
  std::uint64_t in_flight = 0;      // handed to the client, not yet acknowledged
  std::uint64_t spool_bytes = 0;    // bytes in the spool (at exit: left for the next run)
  std::uint64_t spool_messages = 0; // messages in the spool not yet acknowledged
};

// Poison messages (MQTT 3.1.1 has no way to refuse one message: a broker whose
// max_packet_size it exceeds closes the connection). When the connection is
// lost this many times in a row while the same message is the oldest one not
// acknowledged, that message is moved aside: to DIR/dead-letter.jsonl with
// --spool (an mqtt record with a "reason"), else dropped with an error. Later
// messages at least as large go the same way without a try.
inline constexpr int k_poison_disconnects = 3;

// Runs pub: reads `in_fd` until EOF (or SIGINT/SIGTERM), writes the stats record
// to `out_fd`. Returns ok, bad_input (lines skipped), data_lost, timeout
// (--drain-timeout passed with messages left in the spool), or io (a fatal
// connection error such as a rejected certificate).
ExitCode run_pub(const PubOptions& options, int in_fd, int out_fd, PubStats* stats_out = nullptr);

} // namespace iot::bridge
