#pragma once
// What iot-poll polls, independent of where it was described: a site file
// (iot::config::Site, see site_spec.hpp) or the command line of `read`.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "iot/poll/alarm.hpp"
#include "iot/poll/planner.hpp"
#include "iot/poll/report_filter.hpp"
#include "iot/transport/target.hpp"
#include "iot/values/address.hpp"
#include "iot/values/value_type.hpp"

namespace iot::poll {

using Micros = std::chrono::microseconds;

struct PointSpec {
  std::string name;
  values::Ref ref;
  values::Format format;
  values::Scaling scaling;
  std::string uom;
  std::string addr;  // "hr:10", filled by plan_device (written with every reading)
  bool writable = false;
  std::optional<AlarmLimits> alarm;
  ReportRules report;
  std::uint16_t count() const;  // registers or bits
};

struct DeviceSpec {
  std::string name;
  std::uint8_t unit = 1;
  bool enabled = true;
  std::uint32_t max_read = k_max_read_registers;
  std::vector<PointSpec> points;  // enabled points only
};

struct PortTiming {
  Micros interval = std::chrono::seconds(1);
  Micros timeout = std::chrono::milliseconds(500);
  std::uint32_t retries = 1;         // further attempts after a failed request
  std::uint32_t offline_after = 3;   // requests without answer before a device is offline
  Micros reconnect = std::chrono::seconds(30);
  std::uint32_t max_read = k_max_read_registers;
  std::uint32_t max_read_bits = k_max_read_bits;
  std::uint32_t hole = 16;
  Micros gap{0};                     // pause between requests
};

struct PortSpec {
  std::string name;  // site port name, or the target URL in ad-hoc mode
  transport::Target target;
  PortTiming timing;
  std::vector<DeviceSpec> devices;
};

// The read plan of one device.
std::vector<PlannedRead> plan_device(const DeviceSpec& device, const PortTiming& timing);
// Fills PointSpec::addr of every point.
void fill_addresses(DeviceSpec& device);

PlanTable plan_table(values::Table table);

}  // namespace iot::poll
