#pragma once
#include <string>

#include "iot/core/exit_code.hpp"
#include "iot/export/input.hpp"

namespace iot::exporter {
ExitCode export_report(RecordInput& input, const std::string& output, const std::string& title);
} // namespace iot::exporter
