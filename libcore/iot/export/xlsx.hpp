#pragma once
// Excel workbook export with libxlsxwriter in constant-memory mode: rows are
// flushed to a temporary file as they are written, so memory stays flat
// whatever the input size. A sheet per kind (readings, alarms, status) with
// fixed columns; times are Excel date-times (UTC), numbers are numbers,
// booleans are booleans. A sheet that reaches Excel's 1,048,576 rows is
// continued on "readings 2", "readings 3" ...
#include <string>

#include "iot/core/exit_code.hpp"
#include "iot/export/input.hpp"

namespace iot::exporter {

// Writes the records of `input` to the workbook `path` ("-": stdout).
ExitCode export_xlsx(RecordInput& input, const std::string& path);

// Excel's serial date (days since 1899-12-30) for epoch milliseconds.
inline double excel_time(std::int64_t ms) { return static_cast<double>(ms) / 86400000.0 + 25569.0; }

} // namespace iot::exporter
