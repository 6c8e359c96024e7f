#include "iot/sim/generator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <numbers>

#include "iot/core/error.hpp"
#include "iot/core/time.hpp"
#include "iot/record/record.hpp"

namespace iot::sim {

using Kind = config::GeneratorSpec::Kind;

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double unit_random(std::uint64_t& state) { return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53; }

namespace {

std::string fmt_line(const std::string& file, std::size_t line) { return file + ":" + std::to_string(line); }

double seconds(config::Duration d) { return static_cast<double>(d.count()) / 1e6; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_csv(std::string_view line) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  for (;;) {
    const auto comma = line.find(',', start);
    cells.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return cells;
}

std::optional<double> parse_number(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A time cell: seconds (relative) or an RFC 3339 stamp (absolute, made relative later).
std::optional<double> parse_time_cell(std::string_view s) {
  if (auto n = parse_number(s)) return n;
  if (auto ts = parse_ts(s)) return static_cast<double>(ts->time_since_epoch().count()) / 1e6;
  return std::nullopt;
}

} // namespace

Generator::Generator(const config::GeneratorSpec& spec) : m_spec(spec) {
  m_rng = spec.seed;
  const double lo = std::min(spec.min, spec.max), hi = std::max(spec.min, spec.max);
  m_walk_value = std::clamp(spec.value, lo, hi);
  if (spec.kind == Kind::replay) load_replay();
  if (spec.kind == Kind::step) std::sort(m_spec.schedule.begin(), m_spec.schedule.end());
}

void Generator::load_replay() {
  const std::string where = m_spec.pos.str().empty() ? m_spec.file.string() : m_spec.pos.str();
  std::ifstream in(m_spec.file);
  if (!in) throw config_error(where + ": generator.file: cannot read " + m_spec.file.string());
  const auto ext = m_spec.file.extension().string();
  const bool jsonl = ext == ".jsonl" || ext == ".json" || ext == ".ndjson";
  const double period = m_spec.period.count() > 0 ? seconds(m_spec.period) : 1.0;
  std::string line;
  std::size_t row = 0;
  bool have_time = !m_spec.time_column.empty();
  if (jsonl) {
    RecordParser parser;
    const std::string key = m_spec.column.empty() ? "value" : m_spec.column;
    std::size_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (trim(line).empty()) continue;
      auto obj = parser.parse_copy(line, n);
      auto v = get_number(obj, key);
      if (!v) continue; // a record without the value (e.g. another kind) is skipped
      double t = static_cast<double>(row) * period;
      if (have_time) {
        if (auto s = get_string(obj, m_spec.time_column)) {
          auto pt = parse_time_cell(*s);
          if (!pt) throw config_error(fmt_line(m_spec.file.string(), n) + ": bad time " + std::string(*s));
          t = *pt;
        } else if (auto num = get_number(obj, m_spec.time_column)) {
          t = *num;
        }
      }
      m_samples.emplace_back(t, *v);
      ++row;
    }
  } else {
    std::vector<std::string_view> header;
    std::string header_line;
    if (!std::getline(in, header_line))
      throw config_error(where + ": generator.file: " + m_spec.file.string() + " is empty");
    header = split_csv(header_line);
    auto index_of = [&](const std::string& name) -> long {
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return static_cast<long>(i);
      return -1;
    };
    long time_col = have_time ? index_of(m_spec.time_column) : -1;
    if (have_time && time_col < 0)
      throw config_error(where + ": generator.time_column: no column \"" + m_spec.time_column + "\" in " +
                         m_spec.file.string());
    long value_col = -1;
    if (!m_spec.column.empty()) {
      value_col = index_of(m_spec.column);
      if (value_col < 0)
        throw config_error(where + ": generator.column: no column \"" + m_spec.column + "\" in " +
                           m_spec.file.string());
    } else {
      value_col = time_col == 0 ? 1 : 0; // first column that is not the time
      if (header.size() > 1 && time_col < 0 && index_of("value") >= 0) value_col = index_of("value");
    }
    std::size_t n = 1;
    while (std::getline(in, line)) {
      ++n;
      if (trim(line).empty()) continue;
      auto cells = split_csv(line);
      if (static_cast<std::size_t>(value_col) >= cells.size()) continue;
      auto v = parse_number(cells[static_cast<std::size_t>(value_col)]);
      if (!v)
        throw config_error(fmt_line(m_spec.file.string(), n) +
                           ": not a number: " + std::string(cells[static_cast<std::size_t>(value_col)]));
      double t = static_cast<double>(row) * period;
      if (time_col >= 0 && static_cast<std::size_t>(time_col) < cells.size()) {
        auto pt = parse_time_cell(cells[static_cast<std::size_t>(time_col)]);
        if (!pt)
          throw config_error(fmt_line(m_spec.file.string(), n) + ": bad time " +
                             std::string(cells[static_cast<std::size_t>(time_col)]));
        t = *pt;
      }
      m_samples.emplace_back(t, *v);
      ++row;
    }
  }
  if (m_samples.empty()) throw config_error(where + ": generator.file: no values in " + m_spec.file.string());
  std::stable_sort(m_samples.begin(), m_samples.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const double t0 = m_samples.front().first;
  for (auto& s : m_samples)
    s.first -= t0;
  // The replay lasts until one sample period after the last row, so each row gets its share.
  double step = period;
  if (m_samples.size() > 1 && have_time) step = (m_samples.back().first) / static_cast<double>(m_samples.size() - 1);
  m_replay_span = m_samples.back().first + (step > 0 ? step : period);
}

double Generator::value(double t) {
  const auto& s = m_spec;
  switch (s.kind) {
  case Kind::constant: return s.value;
  case Kind::ramp: {
    const double p = seconds(s.period);
    if (p <= 0) return s.from;
    const double frac = std::fmod(std::max(t, 0.0), p) / p;
    return s.from + (s.to - s.from) * frac;
  }
  case Kind::sine: {
    const double p = seconds(s.period);
    const double mid = (s.min + s.max) / 2, amp = (s.max - s.min) / 2;
    if (p <= 0) return mid;
    return mid + amp * std::sin(2 * std::numbers::pi * t / p);
  }
  case Kind::walk: return walk(t);
  case Kind::step: {
    if (s.schedule.empty()) return s.value;
    double at = t;
    const double p = seconds(s.period);
    if (p > 0) at = std::fmod(std::max(t, 0.0), p);
    double v = s.schedule.front().second;
    for (const auto& [when, val] : m_spec.schedule) {
      if (seconds(when) <= at)
        v = val;
      else
        break;
    }
    return v;
  }
  case Kind::replay: return replay(t);
  case Kind::link: return 0; // resolved by the device
  }
  return 0;
}

double Generator::walk(double t) {
  // One step per period (default 1 s): the value at t depends only on the seed
  // and the number of steps taken, never on how often it was asked.
  const double p = m_spec.period.count() > 0 ? seconds(m_spec.period) : 1.0;
  const auto target = static_cast<std::int64_t>(std::floor(std::max(t, 0.0) / p));
  const double lo = std::min(m_spec.min, m_spec.max), hi = std::max(m_spec.min, m_spec.max);
  while (m_walk_step < target) {
    const double delta = (unit_random(m_rng) * 2 - 1) * m_spec.step;
    double next = m_walk_value + delta;
    // Reflect at the bounds so the walk does not stick to them.
    if (next > hi) next = hi - (next - hi);
    if (next < lo) next = lo + (lo - next);
    m_walk_value = std::clamp(next, lo, hi);
    ++m_walk_step;
  }
  return m_walk_value;
}

double Generator::replay(double t) const {
  double at = std::max(t, 0.0);
  if (m_spec.loop && m_replay_span > 0) at = std::fmod(at, m_replay_span);
  // Last sample at or before `at`.
  auto it =
      std::upper_bound(m_samples.begin(), m_samples.end(), at, [](double v, const auto& s) { return v < s.first; });
  if (it == m_samples.begin()) return m_samples.front().second;
  return std::prev(it)->second;
}

} // namespace iot::sim
