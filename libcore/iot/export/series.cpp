#include "iot/export/series.hpp"

#include <algorithm>
#include <cmath>

#include "iot/export/input.hpp"
#include "iot/export/store.hpp"

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
// The peak of an alarm period is the value furthest past its limit: the
// lowest for a low alarm (level L, LL), else the highest.
void raise_peak(AlarmPeriod& a, double v) {
  bool low = !a.level.empty() && a.level[0] == 'L';
  if (std::isnan(a.peak) || (low ? v < a.peak : v > a.peak)) a.peak = v;
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
  if (r.kind == RecordKind::write) {
    // A stored write row: turned back into its record, which is what the
    // store's query gives back exactly (docs/storage.md).
    m_json.clear();
    write_row(m_json, r);
    static thread_local simdjson::dom::parser parser;
    simdjson::dom::object obj;
    if (!parser.parse(m_json).get(obj)) add_operation(obj);
    return;
  }
  if (site.empty() && r.extra.find("\"site\"") != std::string_view::npos) {
    static thread_local simdjson::dom::parser parser;
    simdjson::dom::object obj;
    if (!parser.parse(r.extra.data(), r.extra.size()).get(obj)) note_site(obj);
  }
  PointData& p = point_of(r);
  double v = 0;
  bool numeric = r.value_tag == ValueTag::number || r.value_tag == ValueTag::boolean;
  if (r.value_tag == ValueTag::number) v = r.value_num;
  if (r.value_tag == ValueTag::boolean) v = r.value_bool ? 1 : 0;

  if (r.kind == RecordKind::reading) {
    ++readings;
    ++device_readings[p.device];
    if (!numeric) return;
    p.series.add(r.ts_ms, v);
    ++p.count;
    p.min = std::min(p.min, v);
    p.max = std::max(p.max, v);
    p.sum += v;
    if (p.open_alarm >= 0) raise_peak(alarms[static_cast<std::size_t>(p.open_alarm)], v);
    return;
  }
  ++alarm_records;
  add_alarm(r, p, v, true);
}

// An alarm record: raised / level (changed) / cleared.
void TimeSeriesSet::add_alarm(const Row& r, PointData& p, double v, bool limits) {
  if (limits && r.has_limit && !r.level.empty()) p.limits[std::string(r.level)] = r.limit;
  auto update_peak = [&](AlarmPeriod& a) {
    if (r.value_tag == ValueTag::number) raise_peak(a, v);
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
  a.device = p.device;
  a.point = p.point;
  a.level = r.level.empty() ? std::string(r.type) : std::string(r.level);
  a.raised = r.ts_ms;
  if (r.has_limit) a.limit = r.limit;
  update_peak(a);
  alarms.push_back(std::move(a));
  p.open_alarm = static_cast<int>(alarms.size() - 1);
}

void TimeSeriesSet::carry(const Row& r) {
  if (r.kind != RecordKind::alarm) return;
  PointData& p = point_of(r);
  // Periods closed before the range would fill the table: drop them first.
  if (alarms.size() >= k_max_alarm_periods) compact_alarms(r.ts_ms + 1);
  bool opens = p.open_alarm < 0 && r.state != "cleared";
  // Limits drawn come from the range, or from a carried period that stays
  // (compact_alarms): not from alarms over before the range.
  add_alarm(r, p, r.value_tag == ValueTag::number ? r.value_num : 0, false);
  if (opens && p.open_alarm >= 0) alarms[static_cast<std::size_t>(p.open_alarm)].carried = true;
}

PointData& TimeSeriesSet::point_of(const Row& r) {
  auto [it, fresh] = points.try_emplace({std::string(r.device), std::string(r.point)});
  PointData& p = it->second;
  if (fresh) {
    p.device = it->first.first;
    p.point = it->first.second;
  }
  if (p.uom.empty() && !r.uom.empty()) p.uom = r.uom;
  return p;
}

void TimeSeriesSet::add_in_range(const Row& r, const TimeRange& range) {
  if (range.to_ms && r.ts_ms >= *range.to_ms) return;
  if (range.from_ms && r.ts_ms < *range.from_ms) {
    if (r.kind == RecordKind::alarm) carry(r);
    return;
  }
  add(r);
}

void TimeSeriesSet::drop_closed_before(std::int64_t from_ms) { compact_alarms(from_ms); }

void TimeSeriesSet::compact_alarms(std::int64_t from_ms) {
  std::vector<int> moved(alarms.size(), -1);
  std::size_t out = 0;
  for (std::size_t i = 0; i < alarms.size(); ++i) {
    const AlarmPeriod& a = alarms[i];
    if (a.carried && a.cleared >= 0 && a.cleared < from_ms) continue;
    moved[i] = static_cast<int>(out);
    if (out != i) alarms[out] = std::move(alarms[i]);
    ++out;
  }
  alarms.resize(out);
  for (const AlarmPeriod& a : alarms)
    if (a.carried && !std::isnan(a.limit)) points[{a.device, a.point}].limits.try_emplace(a.level, a.limit);
  for (auto& [key, p] : points)
    if (p.open_alarm >= 0) p.open_alarm = moved[static_cast<std::size_t>(p.open_alarm)];
}

namespace {
std::string json_text(simdjson::dom::element e) {
  std::string s;
  append_json(s, e);
  return s;
}
} // namespace

void TimeSeriesSet::add_operation(simdjson::dom::object w) {
  ++write_records;
  std::int64_t ts = 0;
  if (std::string_view t; !w[fields::ts].get_string().get(t))
    if (auto tp = parse_ts(t)) ts = epoch_ms(*tp);
  first_ms = std::min(first_ms, ts);
  last_ms = std::max(last_ms, ts);
  note_site(w);
  if (operations.size() >= k_max_operations) {
    ++operations_dropped;
    return;
  }
  Operation op;
  op.ts = ts;
  auto text = [&](std::string_view name) {
    std::string_view v;
    return w[name].get_string().get(v) ? std::string() : std::string(v);
  };
  op.device = text(fields::device);
  op.point = text(fields::point);
  op.addr = text(fields::addr);
  simdjson::dom::element e;
  if (!w[fields::value].get(e)) {
    op.value = json_text(e);
  } else if (simdjson::dom::object pts; !w[fields::points].get_object().get(pts)) {
    // iot-sim's record of a master's write: the points it changed, with values.
    for (auto field : pts) {
      if (!op.point.empty()) op.point += ", ";
      op.point += std::string(field.key);
      if (!op.value.empty()) op.value += ", ";
      op.value += json_text(field.value);
    }
  }
  bool ok = false;
  bool has_ok = !w[fields::ok].get_bool().get(ok);
  std::string error = text(fields::error);
  if (!error.empty())
    op.result = error;
  else if (!w[fields::exception].get(e))
    op.result = "exception " + json_text(e);
  else if (has_ok)
    op.result = ok ? "ok" : (text(fields::quality).empty() ? "failed" : text(fields::quality));
  if (!w[fields::cause].get(e))
    op.cause = e.is_string() ? std::string(e.get_string().value()) : json_text(e);
  else if (!w[fields::id].get(e))
    op.cause = "command " + json_text(e);
  operations.push_back(std::move(op));
}

void TimeSeriesSet::note_site(simdjson::dom::object record) {
  std::string_view s;
  if (site.empty() && !record["site"].get_string().get(s)) site = s;
}

TimeSeriesSet read_series(RecordInput& input, const std::function<bool(const Row&)>& keep, const TimeRange& range,
                          bool operations) {
  TimeSeriesSet set;
  Row row;
  std::string buffer;
  if (operations) input.accept(RecordKind::write); // for the report's operations section
  input.for_each([&](const Record& rec) {
    if (rec.kind == RecordKind::write) {
      std::string_view t;
      std::int64_t ms = 0;
      if (!rec.obj[fields::ts].get_string().get(t))
        if (auto tp = parse_ts(t)) ms = epoch_ms(*tp);
      if ((range.from_ms && ms < *range.from_ms) || (range.to_ms && ms >= *range.to_ms)) return;
      if (keep) {
        // What the filters look at: kind, time, device and point.
        Row w;
        w.kind = RecordKind::write;
        w.ts_ms = ms;
        std::string_view device, point;
        if (!rec.obj[fields::device].get_string().get(device)) w.device = device;
        if (!rec.obj[fields::point].get_string().get(point)) w.point = point;
        if (!keep(w)) return;
      }
      set.add_operation(rec.obj);
      return;
    }
    std::string why = to_row(rec.obj, row, buffer);
    if (!why.empty()) {
      input.reject(why);
      return;
    }
    if (set.site.empty()) set.note_site(rec.obj);
    if (!keep || keep(row)) set.add_in_range(row, range);
  });
  if (range.from_ms) set.drop_closed_before(*range.from_ms);
  return set;
}

TimeSeriesSet read_series(Store& store, const QueryFilter& filter, const std::function<bool(const Row&)>& keep) {
  TimeSeriesSet set;
  if (filter.from_ms && (!filter.kind || *filter.kind == RecordKind::alarm))
    store.query_open_alarms(*filter.from_ms, filter, [&](const Row& row) {
      if (!keep || keep(row)) set.carry(row);
    });
  if (filter.from_ms) set.drop_closed_before(*filter.from_ms);
  store.query(filter, [&](const Row& row) {
    if (!keep || keep(row)) set.add(row);
  });
  return set;
}

} // namespace iot::exporter
