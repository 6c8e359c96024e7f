#pragma once
// The command protocol of iot-sim: one JSON object per line on stdin.
//   {"cmd":"fault","device":"ctrl3","kind":"timeout"}            add a fault
//   {"cmd":"fault","device":"ctrl3","kind":"exception","code":2,"addr":"hr:0:4"}
//   {"cmd":"clear","device":"ctrl3"}                              remove its faults (all
//                                                                 devices without "device")
//   {"cmd":"set","device":"ctrl1","point":"ch1","value":42.5}     fix a value (null: back to
//                                                                 the generator)
//   {"cmd":"get","device":"ctrl1","point":"ch1"}                  read a value
//   {"cmd":"stop"}                                                end the simulator
// A device is named by "device", or by "port" and "unit". Durations are strings
// ("500ms") or numbers of seconds. "id" is echoed in the ack.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "iot/config/site.hpp"
#include "iot/values/value_type.hpp"

namespace iot::sim {

struct Command {
  enum class Op { fault, clear, set, get, stop };
  Op op = Op::fault;
  std::string name;   // as written ("fault")
  std::string device; // empty: by port/unit, or every device
  std::string port;
  std::optional<std::uint8_t> unit;
  std::string point;
  values::Value value; // set (monostate = release to the generator)
  config::FaultSpec fault;
  std::optional<config::FaultSpec::Kind> clear_kind;
  std::string id;
};

// Parses one command line; throws iot::Error(data) saying what is wrong.
Command parse_command(std::string_view line);

} // namespace iot::sim
