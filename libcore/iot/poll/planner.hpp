#pragma once
// The request planner: a device's points merged into as few reads as the
// function-code limits and the device allow.
//
// Points of one table are sorted by address and taken greedily: a read grows to
// take the next point while the read stays within `max_read` items and the gap of
// unused items before that point is at most `hole`. For intervals this greedy
// choice is optimal (each read starts at the first uncovered point and reaches as
// far as it may). Limits: Modbus Application Protocol V1.1b3 §6.1-6.4, 125
// registers (FC03/04) and 2000 coils or inputs (FC01/02) per request.
#include <cstdint>
#include <string>
#include <vector>

namespace iot::poll {

// Tables as the planner sees them (same order as iot::values::Table).
enum class PlanTable { coil, discrete_input, input_register, holding_register };

constexpr std::uint32_t k_max_read_registers = 125;  // §6.3 FC03, §6.4 FC04
constexpr std::uint32_t k_max_read_bits = 2000;      // §6.1 FC01, §6.2 FC02

struct PlanItem {
  PlanTable table = PlanTable::holding_register;
  std::uint16_t addr = 0;
  std::uint32_t count = 1;  // registers (or bits) the point occupies
};

struct PlanLimits {
  std::uint32_t max_read = k_max_read_registers;  // registers per read (device or port)
  std::uint32_t max_read_bits = k_max_read_bits;  // coils/inputs per read
  std::uint32_t hole = 16;                        // unused items a read may span
};

struct PlannedRead {
  PlanTable table = PlanTable::holding_register;
  std::uint16_t addr = 0;
  std::uint32_t count = 0;
  std::vector<std::size_t> items;  // indexes into the input, in address order
};

// Plans the reads for `items`. A point larger than the per-read limit gets a read of
// its own, capped at the function-code limit (throws iot::Error(config) beyond it).
std::vector<PlannedRead> plan_reads(const std::vector<PlanItem>& items, const PlanLimits& limits);

// FC for reading a table: 1, 2, 4 or 3.
std::uint8_t read_function(PlanTable table);
std::string_view plan_table_name(PlanTable table);  // "coil", "di", "ir", "hr"

}  // namespace iot::poll
