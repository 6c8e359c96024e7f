#pragma once
// The iot-poll commands (read, write, scan, run, plan) behind apps/poll/main.cpp.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"

namespace iot::poll {

struct OutputOptions {
  std::string format = "auto"; // auto | jsonl | csv | table
  std::string color = "auto";  // from the common --color
  // --trace: frame records of every request and answer; "" or "-" to stdout (among the
  // other records, as JSON Lines), else to this file.
  std::optional<std::string> trace;
};

struct ReadOptions {
  std::string target;
  std::string units = "1";
  std::vector<std::string> refs; // "hr:0:10" (10 values of --type), "40001", "coil:5"
  std::string type = "u16";
  std::string order = "ABCD";
  std::uint16_t length = 0; // string bytes
  double scale = 1, offset = 0, zero = 0;
  std::optional<int> decimals;
  std::string uom;
  bool once = false;
  std::optional<std::string> interval;
  std::optional<std::uint64_t> count;
  std::optional<std::string> duration;
  std::string timeout = "500ms";
  std::uint32_t retries = 0;
  std::uint32_t max_read = 125;
  std::uint32_t hole = 16;
  bool no_stats = false;
  OutputOptions out;
};
ExitCode run_read(const ReadOptions& o);

struct WriteOptions {
  std::string target;
  std::string unit = "1";
  std::vector<std::string> assignments; // "hr:10=123", "hr:10=1,2,3", "coil:5=1"
  std::string type = "u16";
  std::string order = "ABCD";
  bool multi = false;
  std::string timeout = "500ms";
  std::uint32_t retries = 0;
  OutputOptions out;
};
ExitCode run_write(const WriteOptions& o);

struct ScanOptions {
  std::string target;
  std::string units = "1-247";
  std::string bauds;    // "9600,19200" (serial only; default: the target's)
  std::string parities; // "E,N,O"
  std::string addr = "hr:0";
  std::string timeout = "100ms";
  bool first = false; // stop after the first line setting where a unit answered
  OutputOptions out;
};
ExitCode run_scan(const ScanOptions& o);

struct SiteOptions {
  std::string site;
  bool allow_write = false;
  std::optional<std::string> on_alarm;
  std::string alarm_window = "0s";
  std::string alarm_timeout = "30s"; // --on-alarm commands running longer are killed
  std::optional<std::string> duration;
  std::optional<std::uint64_t> count;
  bool no_stats = false;
  bool exit_on_eof = false; // end of stdin stops the run (else only a signal, --count or --duration do)
  OutputOptions out;
};
ExitCode run_site(const SiteOptions& o);
ExitCode run_plan(const std::string& site);

struct InfoOptions {
  std::string target;
  std::string units = "1";
  std::string timeout = "1s";
  std::uint32_t retries = 0;
  OutputOptions out;
};
ExitCode run_info(const InfoOptions& o);

} // namespace iot::poll
