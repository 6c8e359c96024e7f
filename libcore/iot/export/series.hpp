#pragma once
// Down-sampled time series for charts and reports: a bounded number of time
// buckets per point (min, max, sum, count), whose width doubles whenever there
// are too many, so memory stays flat whatever the input length. Alarm periods
// and limits are kept per point from alarm records.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "iot/export/row.hpp"

namespace iot::exporter {

struct Bucket {
  std::int64_t t = 0; // start of the bucket, ms
  double min = 0, max = 0, sum = 0;
  std::uint32_t count = 0;
  double mean() const { return count ? sum / count : 0; }
};

class Series {
public:
  explicit Series(std::size_t max_buckets = 1500) : m_max(max_buckets) {}
  void add(std::int64_t t_ms, double v);
  const std::vector<Bucket>& buckets() const { return m_buckets; }
  std::int64_t bucket_width() const { return m_width; }

private:
  void coarsen();
  std::size_t m_max;
  std::int64_t m_width = 1; // ms
  std::vector<Bucket> m_buckets;
};

struct AlarmPeriod {
  std::string device, point, level;
  std::int64_t raised = 0;
  std::int64_t cleared = -1; // -1: still active at the end of the input
  double peak = std::numeric_limits<double>::quiet_NaN();
  double limit = std::numeric_limits<double>::quiet_NaN();
  bool carried = false; // raised before the range asked for (TimeRange::from_ms)
};

// An operation record (操作记录): a `write` record, as the report lists it.
struct Operation {
  std::int64_t ts = 0;
  std::string device, point, addr;
  std::string value;  // as requested, JSON text ("1", "true", "\"on\"")
  std::string result; // "ok", the error, or the quality of a failed write
  std::string cause;  // what made the write: a linkage's alarm, a command id ...
};

// The range of times a chart or report covers: from inclusive, to exclusive.
struct TimeRange {
  std::optional<std::int64_t> from_ms, to_ms;
};

struct PointData {
  std::string device, point, uom;
  Series series;
  std::size_t count = 0; // numeric readings
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0;
  std::map<std::string, double> limits; // level -> limit, from alarm records
  int open_alarm = -1;                  // index into TimeSeriesSet::alarms while raised
};

// Everything the chart and report commands gather from the records.
class TimeSeriesSet {
public:
  static constexpr std::size_t k_max_alarm_periods = 5000; // beyond this only counted

  static constexpr std::size_t k_max_operations = 5000; // beyond this only counted

  // Adds a reading, alarm, status or write row.
  // Closes nothing: open alarms stay open (cleared = -1).
  void add(const Row& row);
  // Adds `row` if it lies in `range`. An alarm row before the range is carried
  // in: the alarm periods still open when the range starts are listed (with
  // their real raise time), the ones that closed before it are not.
  void add_in_range(const Row& row, const TimeRange& range);
  // An alarm row from before the range (see add_in_range); counts nothing.
  void carry(const Row& alarm_row);
  // Leaves out the carried alarm periods that were cleared before `from_ms`.
  void drop_closed_before(std::int64_t from_ms);
  // Adds a `write` record (a JSON object as docs/record-format.md describes).
  void add_operation(simdjson::dom::object write_record);
  // Takes the site name from a record's "site" field, if none is known yet.
  void note_site(simdjson::dom::object record);

  std::map<std::pair<std::string, std::string>, PointData> points; // (device, point)
  std::vector<AlarmPeriod> alarms;
  std::size_t alarms_dropped = 0;
  std::map<std::string, std::size_t> device_readings;
  std::map<std::string, std::size_t> device_offline; // status records with state offline/missing
  std::int64_t first_ms = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ms = std::numeric_limits<std::int64_t>::min();
  std::size_t readings = 0, alarm_records = 0, status_records = 0, write_records = 0;
  std::vector<Operation> operations; // time order of the input
  std::size_t operations_dropped = 0;
  std::string site; // from the first record with a "site" field

private:
  // The point of `r` (created at its first row), with the first unit seen.
  PointData& point_of(const Row& r);
  void add_alarm(const Row& row, PointData& p, double v, bool limits);
  void compact_alarms(std::int64_t from_ms);
  std::string m_json; // scratch for rows turned back into records
};

class RecordInput;
// Gathers every record of `input` into a set, leaving out the rows `keep`
// refuses and those outside `range` (alarms before it are carried in); a line
// that is not a row is rejected with its reason. `write` records are kept as
// operations (`keep` is not asked about them) when `operations` is set.
TimeSeriesSet read_series(RecordInput& input, const std::function<bool(const Row&)>& keep = {},
                          const TimeRange& range = {}, bool operations = false);

class Store;
struct QueryFilter;
// The same from a store: the rows `filter` selects, with the alarm periods
// open at filter.from_ms carried in.
TimeSeriesSet read_series(Store& store, const QueryFilter& filter, const std::function<bool(const Row&)>& keep = {});

} // namespace iot::exporter
