#include "iot/export/chart.hpp"

#include "iot/core/error.hpp"
namespace iot::exporter {
ExitCode export_chart(RecordInput&, const ChartOptions&) { throw usage_error("chart: not yet"); }
} // namespace iot::exporter
