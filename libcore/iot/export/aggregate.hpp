#pragma once
// Aggregated readings (iot-export query --every): per point and time bucket,
// the count, min, max, mean and last of the numeric values (booleans count as
// 0 and 1), as `aggregate` records (docs/record-format.md). The stored rows are
// read in time order and folded here, not in SQL, so SQLite and PostgreSQL
// give the same output to the last digit; memory holds one bucket per point.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "iot/export/row.hpp"
#include "iot/export/zone.hpp"

namespace iot::exporter {

struct Aggregate {
  std::int64_t start_ms = 0; // the bucket's start
  std::string device, point, uom;
  std::uint64_t count = 0;
  double min = 0, max = 0, sum = 0, last = 0;
  std::int64_t last_ms = 0;
  double mean() const { return count ? sum / static_cast<double>(count) : 0; }
};

class Aggregator {
public:
  // Buckets of `every_ms`, aligned to midnight in `zone`. `emit` gets each
  // finished bucket: in bucket order, then by device and point.
  Aggregator(std::int64_t every_ms, TimeZone zone, std::function<void(const Aggregate&)> emit);
  // Adds a reading row; rows must come in time order (as Store::query gives them).
  void add(const Row& row);
  // Emits the buckets still open.
  void finish();

private:
  std::int64_t m_every;
  TimeZone m_zone;
  std::function<void(const Aggregate&)> m_emit;
  std::int64_t m_start = 0;
  std::map<std::pair<std::string, std::string>, Aggregate> m_open;
};

// Appends `a` as an `aggregate` record line (no newline); `every_ms` is written as `interval_s`.
void write_aggregate(std::string& out, const Aggregate& a, std::int64_t every_ms);

class Store;
struct QueryFilter;
// Writes the aggregates of the readings `filter` selects to `output` ("-": stdout).
void query_aggregates(Store& store, const QueryFilter& filter, std::int64_t every_ms, const TimeZone& zone,
                      const std::string& output);

} // namespace iot::exporter
