#pragma once
// The client side of every Modbus transport: one interface, chosen by the
// target URL's scheme (tcp, udp, rtu+tcp, rtu serial, ascii serial).
//
// A Client carries one transaction at a time: transact() sends a request PDU to a
// unit and waits for the matching answer. Answers that do not match it (another
// transaction id, unit, function, byte count or echoed address; see answer.hpp)
// are discarded and counted, as `late` when they answer an earlier request that
// timed out, else as `mismatched`; garbage before an answer is hunted through.
// Serial framing (rtu, ascii, rtu+tcp) has no transaction id, so before each
// request what is buffered on the line is read and discarded, and a request that
// a late answer of an earlier one could be taken for (same unit and function,
// another request) waits until that answer has come, or for at most 1 s (or one
// timeout, if longer) after the earlier request's deadline. RTU answers
// are framed by their expected length and CRC, not by silence alone, because
// USB adapters and ptys deliver bytes in bursts (Modbus over Serial Line V1.02
// §2.5.1.1 describes the timer rule that real hardware cannot keep).
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "iot/transport/target.hpp"

namespace iot::transport {

enum class ReplyStatus {
  ok,         // an answer for this request (it may be an exception response)
  timeout,    // nothing usable before the deadline
  crc,        // an answer with a wrong CRC (RTU) or LRC (ASCII)
  incomplete, // the start of an answer, then nothing more before the deadline
  mismatch,   // only answers for another unit or transaction arrived
  io,         // the connection failed (closed by the peer, read error)
  stopped,    // interrupted by a stop request
};
std::string_view reply_status_name(ReplyStatus status);

struct Reply {
  ReplyStatus status = ReplyStatus::timeout;
  std::vector<std::uint8_t> pdu;        // function code + data, when ok
  std::chrono::microseconds latency{0}; // request written -> answer complete (or deadline)
  std::string error;                    // why, when not ok
  std::size_t stale = 0;                // frames or bytes flushed before the answer
  std::uint32_t late = 0;               // answers to earlier, timed-out requests, discarded
  std::uint32_t mismatched = 0;         // answers that did not fit this request, discarded
};

// Sees the bytes a client exchanges (iot-poll --trace and -v), from the thread using the
// client. Without one (the default) a client pays one pointer test per frame.
class WireTap {
public:
  virtual ~WireTap() = default;
  virtual void sent(std::span<const std::uint8_t> adu) = 0;       // a request frame as written
  virtual void received(std::span<const std::uint8_t> bytes) = 0; // bytes as read, in any chunks
};

struct ClientOptions {
  std::chrono::microseconds connect_timeout = std::chrono::seconds(3);
  int interrupt_fd = -1;  // readable => abandon waits (iot::stop_fd())
  WireTap* tap = nullptr; // not owned; must outlive the client
};

class Client {
public:
  virtual ~Client() = default;
  // Opens the connection or line; throws iot::Error(io) when it cannot.
  virtual void open() = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  // One transaction. A Reply with status io means the connection is closed now.
  virtual Reply transact(std::uint8_t unit, std::span<const std::uint8_t> pdu, std::chrono::microseconds timeout) = 0;
  // Sends without waiting for an answer (broadcast, unit 0 on serial lines).
  virtual void send_only(std::uint8_t unit, std::span<const std::uint8_t> pdu) = 0;
  // Microseconds the request and answer of the given PDU sizes occupy the line
  // (serial: bits per character / baud plus t3.5; network: 0).
  virtual std::chrono::microseconds wire_time(std::size_t request_pdu, std::size_t reply_pdu) const = 0;
  virtual std::string describe() const = 0;
};

std::unique_ptr<Client> make_client(const Target& target, ClientOptions options = {});

} // namespace iot::transport
