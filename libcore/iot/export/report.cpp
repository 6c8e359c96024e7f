#include "iot/export/report.hpp"

#include "iot/core/error.hpp"
namespace iot::exporter {
ExitCode export_report(RecordInput&, const std::string&, const std::string&) { throw usage_error("report: not yet"); }
} // namespace iot::exporter
