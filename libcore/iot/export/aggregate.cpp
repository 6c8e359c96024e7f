#include "iot/export/aggregate.hpp"

#include <cmath>

#include "iot/core/error.hpp"
#include "iot/export/output_file.hpp"
#include "iot/export/store.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/record/output.hpp"
#include "iot/record/records.hpp"

namespace iot::exporter {

Aggregator::Aggregator(std::int64_t every_ms, TimeZone zone, std::function<void(const Aggregate&)> emit)
    : m_every(every_ms), m_zone(std::move(zone)), m_emit(std::move(emit)) {}

void Aggregator::add(const Row& r) {
  if (r.kind != RecordKind::reading) return;
  double v = 0;
  if (r.value_tag == ValueTag::number)
    v = r.value_num;
  else if (r.value_tag == ValueTag::boolean)
    v = r.value_bool ? 1 : 0;
  else
    return; // null, text: nothing to aggregate
  if (!std::isfinite(v)) return;
  std::int64_t start = m_zone.floor(r.ts_ms, m_every);
  if (!m_open.empty() && start != m_start) finish();
  m_start = start;
  auto [it, fresh] = m_open.try_emplace({std::string(r.device), std::string(r.point)});
  Aggregate& a = it->second;
  if (fresh) {
    a.start_ms = start;
    a.device = r.device;
    a.point = r.point;
    a.min = a.max = v;
  }
  if (a.uom.empty() && !r.uom.empty()) a.uom = r.uom;
  ++a.count;
  a.min = std::min(a.min, v);
  a.max = std::max(a.max, v);
  a.sum += v;
  if (fresh || r.ts_ms >= a.last_ms) {
    a.last = v;
    a.last_ms = r.ts_ms;
  }
}

void Aggregator::finish() {
  for (const auto& [key, a] : m_open)
    m_emit(a);
  m_open.clear();
}

void write_aggregate(std::string& out, const Aggregate& a, std::int64_t every_ms) {
  record::Aggregate rec;
  rec.ts = from_ms(a.start_ms);
  rec.device = a.device;
  rec.point = a.point;
  if (every_ms % 1000 == 0)
    rec.interval_s = std::int64_t{every_ms / 1000};
  else
    rec.interval_s = static_cast<double>(every_ms) / 1000;
  rec.count = a.count;
  rec.min = a.min;
  rec.max = a.max;
  rec.mean = a.mean();
  rec.last = a.last;
  rec.uom = a.uom;
  JsonWriter w(out);
  record::write(w, rec);
}

void query_aggregates(Store& store, const QueryFilter& filter, std::int64_t every_ms, const TimeZone& zone,
                      const std::string& output) {
  if (every_ms <= 0) throw usage_error("--every must be longer than 0");
  if (filter.kind && *filter.kind != RecordKind::reading)
    throw usage_error("--every aggregates readings: leave out --kind or use --kind reading");
  OutputLines out(output);
  LineSink& sink = out.sink();
  Aggregator agg(every_ms, zone, [&](const Aggregate& a) {
    write_aggregate(sink.begin_line(), a, every_ms);
    sink.end_line();
  });
  QueryFilter readings = filter;
  readings.kind = RecordKind::reading;
  store.query(readings, [&](const Row& row) { agg.add(row); });
  agg.finish();
  sink.flush();
}

} // namespace iot::exporter
