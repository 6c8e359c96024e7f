#pragma once
// The commands of iot-decode, one function each, called by apps/decode/main.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/record/output.hpp"
#include "iot/transport/target.hpp"
#include "iot/values/address.hpp"
#include "iot/values/value_type.hpp"

namespace iot::decode {

struct FrameCommand {
  std::vector<std::string> frames;        // hex frames given as arguments (one per argument or all joined)
  std::optional<modbus::Framing> framing; // forced framing
  bool pair = false;
  int input_fd = 0; // where lines come from when `frames` is empty
};
// `iot-decode frame`: one frame record per argument or input line.
ExitCode run_frame(const FrameCommand& cmd, LineSink& out);

struct PcapCommand {
  std::string path;                       // capture file, "-" for stdin
  std::vector<std::uint16_t> ports{502};  // TCP/UDP ports of Modbus servers
  std::optional<modbus::Framing> framing; // tcp (default) or rtu-over-tcp on those ports; rtu for serial
};
// `iot-decode pcap`: frame records for every Modbus ADU in a capture, in capture order.
ExitCode run_pcap(const PcapCommand& cmd, LineSink& out);

struct SniffCommand {
  std::string port;                               // serial device path
  transport::SerialSettings settings;             // baud, parity, data and stop bits
  modbus::Framing framing = modbus::Framing::rtu; // rtu or ascii
  std::optional<std::uint32_t> silence_us;        // inter-frame silence; default t3.5
  std::uint32_t latency_us = 20000;               // how late an adapter may deliver bytes
  std::uint64_t count = 0;                        // stop after this many frames (0 = never)
};
// `iot-decode sniff`: opens `port` read-only and writes frame records as frames pass,
// split by silence, CRC and per-function lengths, requests paired with responses.
ExitCode run_sniff(const SniffCommand& cmd, LineSink& out);
// `iot-decode sniff --list`: one `port` record per serial port the system has.
ExitCode list_ports(LineSink& out);

struct RegsCommand {
  std::vector<std::string> words; // register words as arguments ("0x42F6", "17142")
  bool hex = false;               // bare words are hex
  values::Format format;          // --type, --order, --byte-order, --bit, --length
  values::Scaling scaling;        // --zero, --scale, --offset, --decimals
  std::string addr = "hr:0";      // address of the first argument word (labels only)
  std::string site;               // site file: name and convert registers by its points
  std::string port;               // with a site: only devices of this port
  int input_fd = 0;               // frame or reading records when `words` is empty
};
// `iot-decode regs`: register words to typed, scaled `reading` records.
ExitCode run_regs(const RegsCommand& cmd, LineSink& out);

// Parses one input line of `iot-decode frame`: an optional RFC 3339 time stamp,
// an optional direction mark (tx, rx, >, <, with or without ':'), then a frame
// as hex or as ASCII-framed text starting with ':'. Exposed for tests.
struct FrameLine {
  std::optional<TimePoint> ts;
  modbus::Direction direction = modbus::Direction::unknown;
  std::size_t size = 0;
  std::string error;
};
FrameLine parse_frame_line(std::string_view line, std::uint8_t* out, std::size_t capacity);

} // namespace iot::decode
