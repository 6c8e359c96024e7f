// iot-decode: Modbus frames, captures, serial lines, register words and vendor
// payloads into records. Options are wired here; the work is in libcore/iot/decode.
#include "iot/cli/cli.hpp"
#include "iot/decode/commands.hpp"

namespace {
const std::vector<std::string> k_framings = {"rtu", "tcp", "ascii", "rtu-over-tcp"};

CLI::Option* add_framing(CLI::App* cmd, std::string& framing, const std::string& help) {
  return iot::cli::choices(cmd->add_option("--framing", framing, help), k_framings);
}

std::optional<iot::modbus::Framing> framing_of(const std::string& name) {
  if (name.empty()) return std::nullopt;
  return iot::modbus::parse_framing(name);
}
}  // namespace

int main(int argc, char** argv) {
  iot::cli::Tool tool("iot-decode", "Decode Modbus frames, capture files, serial lines and register words into "
                                    "JSON Lines records");
  CLI::App& app = tool.app();
  app.require_subcommand(1);
  iot::LineSink out(1);

  iot::decode::FrameCommand frame;
  std::string frame_framing;
  auto* frame_cmd = iot::cli::add_command(tool, app, "frame",
                                          "Decode frames given as hex (arguments, or one per stdin line)", [&] {
                                            frame.framing = framing_of(frame_framing);
                                            return iot::decode::run_frame(frame, out);
                                          });
  frame_cmd->add_option("hex", frame.frames, "Frame bytes as hex: '01 03 00 00 00 04 44 09', 0x01,0x03,..., 01:03:..");
  add_framing(frame_cmd, frame_framing, "Force the framing instead of detecting it (RTU by CRC, TCP by MBAP, ASCII by ':' and LRC)");
  frame_cmd->add_flag("--pair", frame.pair, "Pair each response with the request before it (adds addr and latency)");

  iot::decode::PcapCommand pcap;
  std::string pcap_framing;
  auto* pcap_cmd = iot::cli::add_command(tool, app, "pcap", "Decode the Modbus traffic of a pcap or pcapng capture",
                                         [&] {
                                           pcap.framing = framing_of(pcap_framing);
                                           return iot::decode::run_pcap(pcap, out);
                                         });
  iot::cli::path(pcap_cmd->add_option("file", pcap.path, "Capture file (pcap or pcapng; - for stdin)")->required());
  pcap_cmd->add_option("--port", pcap.ports, "TCP/UDP port of the Modbus servers (repeatable)")
      ->capture_default_str();
  add_framing(pcap_cmd, pcap_framing, "Framing on those ports: tcp (default) or rtu-over-tcp; rtu/ascii for serial captures");

  return tool.run(argc, argv);
}
