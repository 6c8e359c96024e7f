#pragma once
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"
#include "iot/export/input.hpp"

namespace iot::exporter {
struct ChartOptions {
  std::string output;
  std::vector<std::string> devices, points;
  std::string title;
  int width = 1200, height = 600;
};
ExitCode export_chart(RecordInput& input, const ChartOptions& options);
} // namespace iot::exporter
