#pragma once
// The fast writer of reading records. A reading is the most frequent record by far
// (iot-poll writes one per point and answer), so it is assembled from pre-rendered
// parts instead of field by field: the point's constant fields (ReadingCache,
// escaped once), a time stamp formatted once for all readings of an answer, and
// fragments for quality and alarm level; then the line is written in place in one
// piece. The bytes are those record::write(JsonWriter&, const Reading&) writes
// (tests/unit/test_record_reading_line.cpp compares them).
#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "iot/record/output.hpp"
#include "iot/record/records.hpp"

namespace iot::record {

// The parts of a point's reading records that never change (src, port, unit,
// device, point, address, unit of measure), rendered by the writer that first sees
// the point and reused for each of its readings, so a reading costs a few copies.
// One per point, owned by the caller; give it only with readings of that point.
struct ReadingCache {
  bool ready = false;
  std::string head; // ,"kind":"reading","port":…,"unit":…,"device":…,"point":…,"addr":…,"value":
  std::string uom;  // ,"uom":"…" (empty without a unit of measure)
};

class ReadingLineWriter {
public:
  ReadingLineWriter();

  // Appends `r` to `sink` as one line. `cache` may be null (the point's fields are
  // rendered for this reading only).
  void write(LineSink& sink, const Reading& r, ReadingCache* cache);

private:
  // The JSON of a value, as write_value() writes it; valid until the next call.
  std::string_view value_json(const Value& v);
  std::string_view alarm_fragment(std::string_view level);

  std::array<std::string, 6> m_quality;                     // ,"quality":"ok" ... by Quality
  std::vector<std::pair<std::string, std::string>> m_alarm; // level, ,"alarm":"HH"
  char m_number[32] = {};
  std::string m_string, m_error;
  ReadingCache m_scratch; // for readings that come without a cache
  TimePoint m_ts{};
  bool m_have_ts = false;
  char m_ts_text[32] = {'{', '"', 't', 's', '"', ':', '"', 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        0,   0,   0,   0,   0,   0,   0,   0, 0, 0, 0, 0, 0, 0, 0, '"'};
};

} // namespace iot::record
