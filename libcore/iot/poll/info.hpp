#pragma once
// `iot-poll info`: what a device says about itself. Read Device Identification (FC 2B, MEI
// type 0x0E, Modbus Application Protocol V1.1b3 §6.21): the basic objects 0x00-0x02, then the
// regular 0x03-0x7F and extended 0x80-0xFF ones as far as the device's conformity level
// goes, following `more follows` across answers; and Report Server ID (FC 11, §6.13).
// Each unit gives one `device_info` record (docs/record-format.md).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"
#include "iot/core/time.hpp"
#include "iot/transport/client.hpp"

namespace iot::poll {

struct DeviceInfo {
  std::uint8_t unit = 0;
  // FC 2B/0E
  std::optional<std::uint8_t> conformity;      // conformity level of the first answer
  std::map<std::uint8_t, std::string> objects; // object id -> value as sent
  std::string id_error;                        // why the identification is missing or cut short
  std::optional<std::uint8_t> id_exception;
  // FC 11
  std::optional<std::vector<std::uint8_t>> server_id; // the bytes after the byte count
  std::optional<bool> run_indicator;
  std::string server_id_error;
  std::optional<std::uint8_t> server_id_exception;
  // The worst outcome, for the exit status: ok when anything was read.
  ExitCode result = ExitCode::ok;
};

// Reads both through `client` (open). `retries` further attempts after a timeout.
DeviceInfo read_device_info(transport::Client& client, std::uint8_t unit, std::chrono::microseconds timeout,
                            std::uint32_t retries);

// The `device_info` record of `info`, without the trailing newline.
std::string device_info_json(TimePoint ts, std::string_view port, const DeviceInfo& info);

// The name of a basic or regular object id ([AP] §6.21 table): "vendor_name", ...; empty
// for the others.
std::string_view device_object_name(std::uint8_t id);

} // namespace iot::poll
