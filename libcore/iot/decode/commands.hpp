#pragma once
// The commands of iot-decode, one function each, called by apps/decode/main.cpp.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/record/output.hpp"

namespace iot::decode {

struct FrameCommand {
  std::vector<std::string> frames;          // hex frames given as arguments (one per argument or all joined)
  std::optional<modbus::Framing> framing;   // forced framing
  bool pair = false;
  int input_fd = 0;                          // where lines come from when `frames` is empty
};
// `iot-decode frame`: one frame record per argument or input line.
ExitCode run_frame(const FrameCommand& cmd, LineSink& out);

struct PcapCommand {
  std::string path;                          // capture file, "-" for stdin
  std::vector<std::uint16_t> ports{502};     // TCP/UDP ports of Modbus servers
  std::optional<modbus::Framing> framing;    // tcp (default) or rtu-over-tcp on those ports; rtu for serial
};
// `iot-decode pcap`: frame records for every Modbus ADU in a capture, in capture order.
ExitCode run_pcap(const PcapCommand& cmd, LineSink& out);

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

}  // namespace iot::decode
