// iot-decode: Modbus frames, captures, serial lines, register words and vendor
// payloads into records. Options are wired here; the work is in libcore/iot/decode.
#include "iot/acrel/protocol.hpp"
#include "iot/cli/cli.hpp"
#include "iot/cli/options.hpp"
#include "iot/core/error.hpp"
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

std::uint32_t duration_us(const std::string& text, const char* option) {
  return static_cast<std::uint32_t>(iot::cli::duration_option(text, option).count());
}
} // namespace

int main(int argc, char** argv) {
  iot::cli::Tool tool("iot-decode", "Decode Modbus frames, capture files, serial lines and register words into "
                                    "JSON Lines records");
  CLI::App& app = tool.app();
  app.require_subcommand(1);
  iot::LineSink out(1);

  iot::decode::FrameCommand frame;
  std::string frame_framing;
  auto* frame_cmd =
      iot::cli::add_command(tool, app, "frame", "Decode frames given as hex (arguments, or one per stdin line)", [&] {
        frame.framing = framing_of(frame_framing);
        return iot::decode::run_frame(frame, out);
      });
  frame_cmd->add_option("hex", frame.frames, "Frame bytes as hex: '01 03 00 00 00 04 44 09', 0x01,0x03,..., 01:03:..");
  add_framing(frame_cmd, frame_framing,
              "Force the framing instead of detecting it (RTU by CRC, TCP by MBAP, ASCII by ':' and LRC)");
  frame_cmd->add_flag("--pair", frame.pair, "Pair each response with the request before it (adds addr and latency)");

  iot::decode::PcapCommand pcap;
  std::string pcap_framing;
  auto* pcap_cmd =
      iot::cli::add_command(tool, app, "pcap", "Decode the Modbus traffic of a pcap or pcapng capture", [&] {
        pcap.framing = framing_of(pcap_framing);
        return iot::decode::run_pcap(pcap, out);
      });
  iot::cli::path(pcap_cmd->add_option("file", pcap.path, "Capture file (pcap or pcapng; - for stdin)")->required());
  pcap_cmd->add_option("--port", pcap.ports, "TCP/UDP port of the Modbus servers (repeatable)")->capture_default_str();
  add_framing(pcap_cmd, pcap_framing,
              "Framing on those ports: tcp (default) or rtu-over-tcp; rtu/ascii for serial captures");

  iot::decode::SniffCommand sniff;
  std::string sniff_parity = "E", sniff_framing = "rtu", sniff_silence, sniff_latency = "20ms";
  unsigned sniff_data = 8, sniff_stop = 1;
  bool sniff_list = false;
  auto* sniff_cmd = iot::cli::add_command(tool, app, "sniff",
                                          "Listen to a serial line read-only and decode the frames passing by", [&] {
                                            if (sniff_list) return iot::decode::list_ports(out);
                                            if (sniff.port.empty())
                                              throw iot::usage_error("sniff needs a serial PORT (or --list)");
                                            sniff.settings.parity = iot::transport::parse_parity(sniff_parity);
                                            sniff.settings.data_bits = static_cast<std::uint8_t>(sniff_data);
                                            sniff.settings.stop_bits = static_cast<std::uint8_t>(sniff_stop);
                                            sniff.framing = *iot::modbus::parse_framing(sniff_framing);
                                            if (!sniff_silence.empty())
                                              sniff.silence_us = duration_us(sniff_silence, "--silence");
                                            sniff.latency_us = duration_us(sniff_latency, "--latency");
                                            return iot::decode::run_sniff(sniff, out);
                                          });
  iot::cli::path(sniff_cmd->add_option("port", sniff.port, "Serial device, e.g. /dev/ttyUSB0"));
  sniff_cmd->add_flag("--list", sniff_list, "List the serial ports (name, description, USB VID:PID) and exit");
  sniff_cmd->add_option("--baud", sniff.settings.baud, "Baud rate")->capture_default_str();
  iot::cli::choices(sniff_cmd->add_option("--parity", sniff_parity, "Parity: E, O or N")->capture_default_str(),
                    {"E", "O", "N", "e", "o", "n", "even", "odd", "none"});
  sniff_cmd->add_option("--data", sniff_data, "Data bits (7 or 8)")->capture_default_str()->check(CLI::Range(7, 8));
  sniff_cmd->add_option("--stop", sniff_stop, "Stop bits (1 or 2)")->capture_default_str()->check(CLI::Range(1, 2));
  iot::cli::choices(sniff_cmd->add_option("--framing", sniff_framing, "rtu or ascii")->capture_default_str(),
                    {"rtu", "ascii"});
  sniff_cmd->add_option("--silence", sniff_silence, "Silence that ends a frame (default t3.5 for the baud rate)");
  sniff_cmd->add_option("--latency", sniff_latency, "How late the adapter may deliver bytes of a frame")
      ->capture_default_str();
  sniff_cmd->add_option("--count", sniff.count, "Stop after this many frames");

  iot::decode::RegsCommand regs;
  std::string regs_type = "u16", regs_order = "ABCD", regs_byte_order = "high_first";
  std::optional<int> regs_decimals;
  unsigned regs_bit = 0;
  auto* regs_cmd = iot::cli::add_command(
      tool, app, "regs", "Decode register words (arguments, or frame/reading records on stdin) into typed readings",
      [&] {
        regs.format.type = iot::values::value_type_from(regs_type);
        regs.format.order = iot::values::word_order_from(regs_order);
        auto bo = iot::values::parse_byte_order(regs_byte_order);
        if (!bo) throw iot::usage_error("--byte-order " + regs_byte_order + ": use high_first or low_first");
        regs.format.byte_order = *bo;
        regs.format.bit = static_cast<std::uint8_t>(regs_bit);
        regs.scaling.decimals = regs_decimals;
        return iot::decode::run_regs(regs, out);
      });
  regs_cmd->add_option("words", regs.words, "Register words: 17142, 0x42F6 (with --hex, bare words are hex)");
  iot::cli::add_value_type(regs_cmd, regs_type, "Value type");
  iot::cli::add_word_order(regs_cmd, regs_order, "Word/byte order of 32- and 64-bit values");
  iot::cli::choices(regs_cmd->add_option("--byte-order", regs_byte_order, "Character order in string registers")
                        ->capture_default_str(),
                    {"high_first", "low_first"});
  regs_cmd->add_option("--bit", regs_bit, "Bit index (0-15) for --type bit")->check(CLI::Range(0, 15));
  regs_cmd->add_option("--length", regs.format.length, "String length in characters for --type string");
  regs_cmd->add_option("--zero", regs.scaling.zero, "Raw value that means zero (subtracted first)");
  regs_cmd->add_option("--scale", regs.scaling.scale, "Multiplier");
  regs_cmd->add_option("--offset", regs.scaling.offset, "Added after scaling");
  regs_cmd->add_option("--decimals", regs_decimals, "Divide by 10^N and round to N digits")->check(CLI::Range(0, 9));
  regs_cmd->add_option("--addr", regs.addr, "Address of the first word, for the point names")->capture_default_str();
  regs_cmd->add_flag("--hex", regs.hex, "Bare words are hex (42F6 E979)");
  iot::cli::path(regs_cmd->add_option("-c,--site", regs.site, "Site file: name and convert registers by its points"));
  regs_cmd->add_option("--port", regs.port, "With --site: only devices of this port");

  std::string acrel_input = "-";
  auto* acrel_cmd = iot::cli::add_command(
      tool, app, "acrel", "Decode mqtt records of the Acrel acrelHW protocol into reading and status records", [&] {
        auto in = iot::LineReader::open(acrel_input);
        return iot::acrel::run_decode(*in, out);
      });
  iot::cli::path(
      acrel_cmd->add_option("file", acrel_input, "mqtt records (JSON Lines; - for stdin)")->capture_default_str());

  return tool.run(argc, argv);
}
