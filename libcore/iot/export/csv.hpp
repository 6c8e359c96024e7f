#pragma once
// CSV (RFC 4180 quoting) and TSV export.
//
// Columns: with --fields, exactly those fields, streamed from the first line.
// Otherwise the header is the union of the fields of the first `scan` records
// of each output (1000 by default), in order of first appearance; those
// records are held back (bounded memory) and then written. With scan 0 every
// record is looked at first: they wait in a temporary file, then are written
// (a second pass), so every field gets a column. A field first seen after the
// scanned records cannot get a column any more: it is left out with a warning
// naming its line, and the export fails (data_lost) after writing the rest.
//
// Cells: strings as they are, numbers in shortest round-trip form, booleans as
// true/false, null and absent fields empty, arrays and objects as compact
// JSON. CSV quotes a cell holding the separator, a quote, CR or LF, doubling
// quotes. TSV cannot quote: backslash, tab, CR and LF are written \\ \t \r \n.
// With a zone other than UTC the ts column is that zone's local time with
// its offset ("2026-11-21T16:00:00.000+08:00").
#include <cstddef>
#include <string>
#include <vector>

#include "iot/core/exit_code.hpp"
#include "iot/export/input.hpp"
#include "iot/export/zone.hpp"

namespace iot::exporter {

struct CsvOptions {
  char separator = ','; // '\t' selects TSV escaping
  std::vector<std::string> fields;
  bool header = true;
  bool crlf = false;       // RFC 4180 line ends
  std::size_t scan = 1000; // records looked at to choose the columns; 0: all
  std::string output = "-";
  std::string alarms_output; // alarm records go here instead of `output`, if set
  std::string status_output; // status records go here instead of `output`, if set
  TimeZone zone;             // of the ts column: RFC 3339 with this zone's offset (UTC: as recorded)
};

// Writes the records of `input` (reading, alarm, status and write); returns
// bad_input if some lines were rejected, data_lost if fields were left out.
ExitCode export_csv(RecordInput& input, const CsvOptions& options);

// Appends one cell, quoted or escaped as `separator` requires.
void append_cell(std::string& out, std::string_view text, char separator, bool force_quote = false);

} // namespace iot::exporter
