#pragma once
// Down-sampled time series for charts and reports: a bounded number of time
// buckets per point (min, max, sum, count), whose width doubles whenever there
// are too many, so memory stays flat whatever the input length. Alarm periods
// and limits are kept per point from alarm records.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
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

  // Adds a reading, alarm or status row.
  void add(const Row& row);
  // Closes nothing: open alarms stay open (cleared = -1).

  std::map<std::pair<std::string, std::string>, PointData> points; // (device, point)
  std::vector<AlarmPeriod> alarms;
  std::size_t alarms_dropped = 0;
  std::map<std::string, std::size_t> device_readings;
  std::map<std::string, std::size_t> device_offline; // status records with state offline/missing
  std::int64_t first_ms = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ms = std::numeric_limits<std::int64_t>::min();
  std::size_t readings = 0, alarm_records = 0, status_records = 0;
};

class RecordInput;
// Gathers every record of `input` into a set, leaving out the rows `keep`
// refuses; a line that is not a row is rejected with its reason.
TimeSeriesSet read_series(RecordInput& input, const std::function<bool(const Row&)>& keep = {});

} // namespace iot::exporter
