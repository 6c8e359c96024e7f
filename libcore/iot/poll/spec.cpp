#include "iot/poll/spec.hpp"

namespace iot::poll {

std::uint16_t PointSpec::count() const {
  if (!values::is_register_table(ref.table)) return 1;
  return values::register_count(format);
}

PlanTable plan_table(values::Table table) {
  switch (table) {
    case values::Table::coil: return PlanTable::coil;
    case values::Table::discrete_input: return PlanTable::discrete_input;
    case values::Table::input_register: return PlanTable::input_register;
    case values::Table::holding_register: return PlanTable::holding_register;
  }
  return PlanTable::holding_register;
}

void fill_addresses(DeviceSpec& device) {
  for (auto& p : device.points) p.addr = values::to_string(p.ref);
}

std::vector<PlannedRead> plan_device(const DeviceSpec& device, const PortTiming& timing) {
  std::vector<PlanItem> items;
  items.reserve(device.points.size());
  for (const auto& p : device.points) items.push_back({plan_table(p.ref.table), p.ref.addr, p.count()});
  PlanLimits limits;
  limits.max_read = std::min(device.max_read, timing.max_read);
  limits.max_read_bits = timing.max_read_bits;
  limits.hole = timing.hole;
  return plan_reads(items, limits);
}

}  // namespace iot::poll
