#include "iot/export/series.hpp"

#include "iot/export/input.hpp"

#include <algorithm>
#include <cmath>

namespace iot::exporter {

namespace {
std::int64_t floor_to(std::int64_t t, std::int64_t w) {
  std::int64_t q = t / w;
  if (t % w != 0 && t < 0) --q;
  return q * w;
}
void merge(Bucket& into, const Bucket& b) {
  into.min = std::min(into.min, b.min);
  into.max = std::max(into.max, b.max);
  into.sum += b.sum;
  into.count += b.count;
}
} // namespace

void Series::add(std::int64_t t, double v) {
  if (!std::isfinite(v)) return;
  Bucket b{floor_to(t, m_width), v, v, v, 1};
  if (m_buckets.empty() || m_buckets.back().t < b.t) {
    m_buckets.push_back(b);
  } else if (m_buckets.back().t == b.t) {
    merge(m_buckets.back(), b);
  } else {
    // Out of order (merged files): find or insert its bucket.
    auto it = std::lower_bound(m_buckets.begin(), m_buckets.end(), b.t,
                               [](const Bucket& x, std::int64_t key) { return x.t < key; });
    if (it != m_buckets.end() && it->t == b.t)
      merge(*it, b);
    else
      m_buckets.insert(it, b);
  }
  if (m_buckets.size() > m_max) coarsen();
}

void Series::coarsen() {
  while (m_buckets.size() > m_max / 2) {
    m_width *= 2;
    std::size_t out = 0;
    for (std::size_t i = 0; i < m_buckets.size(); ++i) {
      Bucket b = m_buckets[i];
      b.t = floor_to(b.t, m_width);
      if (out > 0 && m_buckets[out - 1].t == b.t)
        merge(m_buckets[out - 1], b);
      else
        m_buckets[out++] = b;
    }
    m_buckets.resize(out);
  }
}

void TimeSeriesSet::add(const Row& r) {
  first_ms = std::min(first_ms, r.ts_ms);
  last_ms = std::max(last_ms, r.ts_ms);
  if (r.kind == RecordKind::status) {
    ++status_records;
    if (r.state == "offline" || r.state == "missing") ++device_offline[std::string(r.device)];
    return;
  }
  auto key = std::make_pair(std::string(r.device), std::string(r.point));
  auto [it, fresh] = points.try_emplace(key);
  PointData& p = it->second;
  if (fresh) {
    p.device = key.first;
    p.point = key.second;
  }
  if (p.uom.empty() && !r.uom.empty()) p.uom = r.uom;
  double v = 0;
  bool numeric = r.value_tag == ValueTag::number || r.value_tag == ValueTag::boolean;
  if (r.value_tag == ValueTag::number) v = r.value_num;
  if (r.value_tag == ValueTag::boolean) v = r.value_bool ? 1 : 0;

  if (r.kind == RecordKind::reading) {
    ++readings;
    ++device_readings[key.first];
    if (!numeric) return;
    p.series.add(r.ts_ms, v);
    ++p.count;
    p.min = std::min(p.min, v);
    p.max = std::max(p.max, v);
    p.sum += v;
    if (p.open_alarm >= 0) {
      AlarmPeriod& a = alarms[static_cast<std::size_t>(p.open_alarm)];
      bool low = !a.level.empty() && a.level[0] == 'L';
      if (std::isnan(a.peak) || (low ? v < a.peak : v > a.peak)) a.peak = v;
    }
    return;
  }
  // An alarm record: raised / level (changed) / cleared.
  ++alarm_records;
  if (r.has_limit && !r.level.empty()) p.limits[std::string(r.level)] = r.limit;
  auto update_peak = [&](AlarmPeriod& a) {
    if (r.value_tag != ValueTag::number) return;
    bool low = !a.level.empty() && a.level[0] == 'L';
    if (std::isnan(a.peak) || (low ? v < a.peak : v > a.peak)) a.peak = v;
  };
  if (r.state == "cleared") {
    if (p.open_alarm >= 0) {
      alarms[static_cast<std::size_t>(p.open_alarm)].cleared = r.ts_ms;
      p.open_alarm = -1;
    }
    return;
  }
  if (p.open_alarm >= 0) {
    // A level change: the period continues with the more severe level.
    AlarmPeriod& a = alarms[static_cast<std::size_t>(p.open_alarm)];
    if (!r.level.empty() && r.level.size() >= a.level.size()) {
      a.level = r.level;
      if (r.has_limit) a.limit = r.limit;
    }
    update_peak(a);
    return;
  }
  if (alarms.size() >= k_max_alarm_periods) {
    ++alarms_dropped;
    return;
  }
  AlarmPeriod a;
  a.device = key.first;
  a.point = key.second;
  a.level = r.level.empty() ? std::string(r.type) : std::string(r.level);
  a.raised = r.ts_ms;
  if (r.has_limit) a.limit = r.limit;
  update_peak(a);
  alarms.push_back(std::move(a));
  p.open_alarm = static_cast<int>(alarms.size() - 1);
}

TimeSeriesSet read_series(RecordInput& input, const std::function<bool(const Row&)>& keep) {
  TimeSeriesSet set;
  Row row;
  std::string buffer;
  input.for_each([&](const Record& rec) {
    std::string why = to_row(rec.obj, row, buffer);
    if (!why.empty()) {
      input.reject(why);
      return;
    }
    if (!keep || keep(row)) set.add(row);
  });
  return set;
}

} // namespace iot::exporter
