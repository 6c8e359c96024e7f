#include "iot/poll/planner.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <numeric>

#include "iot/core/error.hpp"

namespace iot::poll {

std::uint8_t read_function(PlanTable table) {
  switch (table) {
    case PlanTable::coil: return 0x01;
    case PlanTable::discrete_input: return 0x02;
    case PlanTable::input_register: return 0x04;
    case PlanTable::holding_register: return 0x03;
  }
  return 0x03;
}

std::string_view plan_table_name(PlanTable table) {
  switch (table) {
    case PlanTable::coil: return "coil";
    case PlanTable::discrete_input: return "di";
    case PlanTable::input_register: return "ir";
    case PlanTable::holding_register: return "hr";
  }
  return "hr";
}

std::vector<PlannedRead> plan_reads(const std::vector<PlanItem>& items, const PlanLimits& limits) {
  std::vector<std::size_t> order(items.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (items[a].table != items[b].table) return items[a].table < items[b].table;
    return items[a].addr < items[b].addr;
  });
  std::vector<PlannedRead> reads;
  PlannedRead* cur = nullptr;
  for (std::size_t idx : order) {
    const PlanItem& it = items[idx];
    const bool bits = it.table == PlanTable::coil || it.table == PlanTable::discrete_input;
    const std::uint32_t fc_limit = bits ? k_max_read_bits : k_max_read_registers;
    const std::uint32_t max = std::max<std::uint32_t>(1, std::min(bits ? limits.max_read_bits : limits.max_read, fc_limit));
    if (it.count > fc_limit)
      throw config_error(fmt::format("{}:{} spans {} items, more than one request can read ({})",
                                     plan_table_name(it.table), it.addr, it.count, fc_limit));
    const std::uint32_t end = it.addr + it.count;
    if (cur != nullptr && cur->table == it.table) {
      const std::uint32_t cur_end = cur->addr + cur->count;
      const std::uint32_t gap = it.addr > cur_end ? it.addr - cur_end : 0;
      const std::uint32_t new_end = std::max(cur_end, end);
      if (gap <= limits.hole && new_end - cur->addr <= max) {
        cur->count = new_end - cur->addr;
        cur->items.push_back(idx);
        continue;
      }
    }
    reads.push_back(PlannedRead{it.table, it.addr, it.count, {idx}});
    cur = &reads.back();
  }
  return reads;
}

}  // namespace iot::poll
