// Throughput of the Modbus codec path iot-decode uses per input line: hex text -> bytes ->
// framing detection + unwrap + PDU decode + request pairing -> `frame` record JSON. Prints lines per second on
// one core. Usage: modbus_codec [lines]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "iot/core/time.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/record/json_writer.hpp"

using namespace iot::modbus;

int main(int argc, char** argv) {
  const std::size_t lines = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000000;
  const char* samples[] = {
      "0103000000044409",
      "010308000000000000000095d7",
      "01 03 14 00 01 00 02 00 03 00 04 00 05 00 06 00 07 00 08 00 09 00 0a 8f 16",
      "000100000006ff03006b0003",
      "0001000000030183 02",
      "01100001000204000a0102 92 30",
  };
  std::vector<std::string> input;
  input.reserve(lines);
  for (std::size_t i = 0; i < lines; ++i)
    input.emplace_back(samples[i % (sizeof samples / sizeof *samples)]);

  Bytes bytes;
  DecodedFrame frame;
  FramePairer pairer;
  std::string out;
  out.reserve(1 << 20);
  std::size_t written = 0;
  const iot::TimePoint ts = iot::now();
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (const std::string& line : input) {
    if (!parse_hex_bytes(line, bytes)) return 1;
    decode_frame(bytes, std::nullopt, Direction::unknown, frame);
    pairer.pair(frame);
    iot::JsonWriter w(out);
    write_frame_record(w, ts, frame);
    out.push_back('\n');
    if (out.size() > (1 << 20) - 4096) {
      written += out.size();
      out.clear();
    }
  }
  written += out.size();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  // CPU time too: on a shared machine wall time also counts other processes.
  std::printf("modbus_codec: %zu lines in %.3f s wall = %.0f lines/s; %.3f s CPU = %.0f lines/s per core; "
              "%.1f MB of records\n",
              lines, s, lines / s, cpu, lines / cpu, written / 1e6);
  return 0;
}
