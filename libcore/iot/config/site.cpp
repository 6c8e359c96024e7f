// Site file loader: TOML (toml++) into the structures of site.hpp, with every
// error pointing at file:line:column and the key path (docs/config.md).
#include "iot/config/site.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "iot/acrel/protocol.hpp"
#include "iot/config/names.hpp"
#include "iot/core/error.hpp"
#include "iot/core/names.hpp"
#include "iot/core/signals.hpp"
#include "iot/core/text.hpp"
#include "iot/core/time.hpp"
#include "iot/mqtt/options.hpp"

namespace iot::config {

namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------
// Messages

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// " (did you mean 'unit'?)" when a candidate is close, else "".
std::string suggest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  std::size_t best_d = 99;
  for (auto c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  const std::size_t limit = word.size() <= 3 ? 1 : 2;
  if (best_d > limit) return {};
  return fmt::format(" (did you mean '{}'?)", best);
}

std::string join_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

struct FileCtx {
  std::string display; // file name as it appears in messages
  fs::path dir;        // for relative paths written in this file
};

// The value of an integer or floating-point node; nullopt for a node of any other type.
std::optional<double> number_value(const toml::node& n) {
  if (auto i = n.as_integer()) return static_cast<double>(i->get());
  if (auto d = n.as_floating_point()) return d->get();
  return std::nullopt;
}

SourcePos pos_of(const FileCtx& f, const toml::source_region& r) {
  return {f.display, static_cast<std::uint32_t>(r.begin.line), static_cast<std::uint32_t>(r.begin.column)};
}

[[noreturn]] void fail(const SourcePos& pos, std::string_view path, std::string_view message) {
  std::string where = pos.str();
  if (path.empty()) throw config_error(fmt::format("{}: {}", where, message));
  throw config_error(fmt::format("{}: {}: {}", where, path, message));
}

std::string_view toml_type_name(const toml::node& n) {
  switch (n.type()) {
  case toml::node_type::table: return "a table";
  case toml::node_type::array: return "an array";
  case toml::node_type::string: return "a string";
  case toml::node_type::integer: return "an integer";
  case toml::node_type::floating_point: return "a number";
  case toml::node_type::boolean: return "a boolean";
  case toml::node_type::date: return "a date";
  case toml::node_type::time: return "a time";
  case toml::node_type::date_time: return "a date-time";
  default: return "nothing";
  }
}

// Whether two targets name the same serial device: the same path, or paths that
// resolve to the same file (/dev/serial/by-id/... links to /dev/ttyUSB0).
bool same_serial_device(const transport::Target& a, const transport::Target& b) {
  if (!a.is_serial() || !b.is_serial() || a.pty || b.pty || a.device.empty() || b.device.empty()) return false;
  if (a.device == b.device) return true;
  std::error_code ea, eb;
  const fs::path ca = fs::weakly_canonical(a.device, ea), cb = fs::weakly_canonical(b.device, eb);
  return !ea && !eb && ca == cb;
}

// ---------------------------------------------------------------------------
// Reading one TOML table with type checks and the unknown-key rule.

class Reader {
public:
  Reader(const FileCtx& file, const toml::table& table, std::string path)
      : m_file(file), m_table(table), m_path(std::move(path)) {}

  const FileCtx& file() const { return m_file; }
  const toml::table& table() const { return m_table; }
  const std::string& path() const { return m_path; }
  SourcePos pos() const { return pos_of(m_file, m_table.source()); }
  std::string key_path(std::string_view key) const {
    return m_path.empty() ? std::string(key) : fmt::format("{}.{}", m_path, key);
  }

  // Every key must be one of `allowed`.
  void check_keys(const std::vector<std::string_view>& allowed) const {
    for (const auto& [k, v] : m_table) {
      (void)v;
      if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
      fail(pos_of(m_file, k.source()), m_path.empty() ? std::string_view("(top level)") : m_path,
           fmt::format("unknown key '{}'{}", k.str(), suggest(k.str(), allowed)));
    }
  }

  const toml::node* get(std::string_view key) const { return m_table.get(key); }
  bool has(std::string_view key) const { return get(key) != nullptr; }

  [[noreturn]] void fail_at(std::string_view key, std::string_view message) const {
    const toml::node* n = get(key);
    fail(n ? pos_of(m_file, n->source()) : pos(), key_path(key), message);
  }
  [[noreturn]] void fail_here(std::string_view message) const { fail(pos(), m_path, message); }

  [[noreturn]] void expect(std::string_view key, const toml::node& n, std::string_view what) const {
    fail(pos_of(m_file, n.source()), key_path(key), fmt::format("expected {}, got {}", what, toml_type_name(n)));
  }

  std::optional<std::string> str(std::string_view key) const {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (auto s = n->as_string()) return s->get();
    expect(key, *n, "a string");
  }
  std::string required_str(std::string_view key) const {
    auto s = str(key);
    if (!s) fail_here(fmt::format("missing key '{}'", key));
    return *s;
  }
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    auto i = n->as_integer();
    if (!i) expect(key, *n, "an integer");
    const std::int64_t v = i->get();
    if (v < min || v > max) fail_at(key, fmt::format("{} is outside {}-{}", v, min, max));
    return v;
  }
  std::optional<double> number(std::string_view key) const {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    const std::optional<double> v = number_value(*n);
    if (!v) expect(key, *n, "a number");
    if (!std::isfinite(*v)) fail_at(key, "must be a finite number");
    return v;
  }
  std::optional<bool> boolean(std::string_view key) const {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    if (auto b = n->as_boolean()) return b->get();
    expect(key, *n, "true or false");
  }
  // "500ms", "1.5s", "2m" or a number of seconds.
  std::optional<Duration> duration(std::string_view key) const {
    const toml::node* n = get(key);
    if (!n) return std::nullopt;
    return duration_of(key, *n);
  }
  Duration duration_of(std::string_view key, const toml::node& n) const {
    if (auto s = n.as_string()) {
      if (auto d = parse_duration(s->get())) return *d;
      fail(pos_of(m_file, n.source()), key_path(key),
           fmt::format("'{}' is not a duration (e.g. \"500ms\", \"1s\", \"2m\", \"1h\")", s->get()));
    }
    const std::optional<double> secs = number_value(n);
    if (!secs) expect(key, n, "a duration such as \"1s\" or a number of seconds");
    if (!std::isfinite(*secs) || *secs < 0 || *secs > 1e9)
      fail(pos_of(m_file, n.source()), key_path(key), "a duration must be from 0 to 1e9 seconds");
    return Duration(static_cast<std::int64_t>(std::llround(*secs * 1e6)));
  }
  const toml::table* subtable(std::string_view key) const {
    const toml::node* n = get(key);
    if (!n) return nullptr;
    if (auto t = n->as_table()) return t;
    expect(key, *n, "a table");
  }
  // An array of tables ([[key]]); a single inline table is accepted as one element.
  std::vector<const toml::table*> tables(std::string_view key) const {
    std::vector<const toml::table*> out;
    const toml::node* n = get(key);
    if (!n) return out;
    if (auto t = n->as_table()) {
      out.push_back(t);
      return out;
    }
    auto a = n->as_array();
    if (!a) expect(key, *n, "an array of tables");
    for (const auto& e : *a) {
      auto t = e.as_table();
      if (!t)
        fail(pos_of(m_file, e.source()), key_path(key), fmt::format("expected a table, got {}", toml_type_name(e)));
      out.push_back(t);
    }
    return out;
  }

private:
  const FileCtx& m_file;
  const toml::table& m_table;
  std::string m_path;
};

// ---------------------------------------------------------------------------
// Enumerations written as strings

// `text` (any case) as a value of `table`; an unknown name fails with the names expected.
template <typename E, std::size_t N>
E enum_from(const Reader& r, std::string_view key, const std::string& text, const NameTable<E, N>& table,
            std::string_view what) {
  const std::string t = to_lower(text);
  if (auto value = table.find(t)) return *value;
  const auto names = table.names();
  const std::vector<std::string_view> all(names.begin(), names.end());
  r.fail_at(key, fmt::format("unknown {} '{}'{}; expected {}", what, text, suggest(t, all), join_names(all)));
}

// As site files write them; records write them in capitals (alarm_type_name).
constexpr auto k_alarm_types = enum_names<AlarmRule::Type>("hh", "ll", "hl", "window");

// Modbus Application Protocol V1.1b3 §7 exception codes by name.
constexpr NameTable<std::uint8_t, 10> k_exception_names{{{
    {"illegal_function", 0x01},
    {"illegal_data_address", 0x02},
    {"illegal_data_value", 0x03},
    {"server_device_failure", 0x04},
    {"acknowledge", 0x05},
    {"server_device_busy", 0x06},
    {"negative_acknowledge", 0x07},
    {"memory_parity_error", 0x08},
    {"gateway_path_unavailable", 0x0A},
    {"gateway_target_failed_to_respond", 0x0B},
}}};

// An exception code written as a number (1-255) or a name.
std::uint8_t exception_code(const Reader& r, std::string_view key) {
  const toml::node* n = r.get(key);
  if (auto s = n->as_string()) return enum_from(r, key, s->get(), k_exception_names, "exception");
  return static_cast<std::uint8_t>(*r.integer(key, 1, 255));
}

// ---------------------------------------------------------------------------
// Settings

const std::vector<std::string_view> k_setting_keys{
    "interval", "timeout",    "retries", "offline_after", "reconnect",    "max_read",      "max_read_bits",
    "hole",     "turnaround", "gap",     "rts",           "unknown_unit", "allow_reserved"};

void read_settings(const Reader& r, PortSettings& s) {
  if (auto d = r.duration("interval")) {
    if (d->count() == 0) r.fail_at("interval", "must be more than 0");
    s.interval = *d;
  }
  if (auto d = r.duration("timeout")) {
    if (d->count() == 0) r.fail_at("timeout", "must be more than 0");
    s.timeout = *d;
  }
  if (auto v = r.integer("retries", 0, 100)) s.retries = static_cast<std::uint32_t>(*v);
  if (auto v = r.integer("offline_after", 1, 1000000)) s.offline_after = static_cast<std::uint32_t>(*v);
  if (auto d = r.duration("reconnect")) s.reconnect = *d;
  // Modbus Application Protocol V1.1b3 §6.3/§6.2: at most 125 registers or 2000 bits per read.
  if (auto v = r.integer("max_read", 1, 125)) s.max_read = static_cast<std::uint16_t>(*v);
  if (auto v = r.integer("max_read_bits", 1, 2000)) s.max_read_bits = static_cast<std::uint16_t>(*v);
  if (auto v = r.integer("hole", 0, 125)) s.hole = static_cast<std::uint16_t>(*v);
  if (auto d = r.duration("turnaround")) s.turnaround = *d;
  if (auto d = r.duration("gap")) s.gap = *d;
  if (auto v = r.str("rts")) {
    try {
      s.rts = transport::parse_rts(*v);
    } catch (const Error& e) {
      r.fail_at("rts", e.what());
    }
  }
  if (const toml::node* n = r.get("unknown_unit")) {
    if (auto str = n->as_string(); str && to_lower(str->get()) == "none")
      s.unknown_unit.reset();
    else
      s.unknown_unit = exception_code(r, "unknown_unit");
  }
  if (auto b = r.boolean("allow_reserved")) s.allow_reserved = *b;
}

// ---------------------------------------------------------------------------
// Points

const std::vector<std::string_view> k_point_keys{
    "name",        "addr",    "type",     "order",          "byte_order",      "length",
    "bit",         "scale",   "offset",   "zero",           "decimals",        "uom",
    "description", "enabled", "writable", "storage_period", "report_deadband", "alarm",
    "generator",   "repeat",  "first",    "stride"};

const std::vector<std::string_view> k_alarm_keys{"type", "high", "high_high", "low",  "low_low",
                                                 "min",  "max",  "deadband",  "delay"};

AlarmRule read_alarm(const Reader& parent, const AlarmRule* base) {
  const toml::table* t = parent.subtable("alarm");
  Reader r(parent.file(), *t, parent.key_path("alarm"));
  r.check_keys(k_alarm_keys);
  AlarmRule a = base ? *base : AlarmRule{};
  a.pos = r.pos();
  if (auto v = r.number("high")) a.high = *v;
  if (auto v = r.number("high_high")) a.high_high = *v;
  if (auto v = r.number("low")) a.low = *v;
  if (auto v = r.number("low_low")) a.low_low = *v;
  if (auto v = r.number("min")) a.min = *v;
  if (auto v = r.number("max")) a.max = *v;
  if (auto v = r.number("deadband")) {
    if (*v < 0) r.fail_at("deadband", "must not be negative");
    a.deadband = *v;
  }
  if (auto d = r.duration("delay")) a.delay = *d;
  if (auto s = r.str("type")) {
    a.type = enum_from(r, "type", *s, k_alarm_types, "alarm type");
  } else if (!base) {
    // No type: infer it from the limits given.
    const bool hi = a.high || a.high_high, lo = a.low || a.low_low;
    a.type = (a.min || a.max) && !hi && !lo ? AlarmRule::Type::window
             : hi && lo                     ? AlarmRule::Type::hl
             : lo                           ? AlarmRule::Type::ll
                                            : AlarmRule::Type::hh;
  }
  const auto num = [](double v) { return fmt::format("{}", v); };
  // min and max belong to WINDOW, the other limits to the other types: a key of the wrong
  // type would silently do nothing.
  if (a.type == AlarmRule::Type::window) {
    for (std::string_view k : {"high", "high_high", "low", "low_low"})
      if (r.has(k)) r.fail_at(k, "alarm type WINDOW takes 'min' and 'max', not high/low limits");
  } else {
    for (std::string_view k : {"min", "max"})
      if (r.has(k))
        r.fail_at(k,
                  fmt::format("'{}' is a limit of alarm type WINDOW (this alarm is {})", k, alarm_type_name(a.type)));
  }
  switch (a.type) {
  case AlarmRule::Type::window:
    if (!a.min || !a.max) r.fail_here("alarm type WINDOW needs both 'min' and 'max'");
    if (*a.min >= *a.max) r.fail_here(fmt::format("min ({}) must be below max ({})", num(*a.min), num(*a.max)));
    break;
  case AlarmRule::Type::hh:
    if (!a.high && !a.high_high) r.fail_here("alarm type HH needs 'high' and/or 'high_high'");
    if (a.high && a.high_high && *a.high > *a.high_high)
      r.fail_here(fmt::format("high ({}) must not be above high_high ({})", num(*a.high), num(*a.high_high)));
    break;
  case AlarmRule::Type::ll:
    if (!a.low && !a.low_low) r.fail_here("alarm type LL needs 'low' and/or 'low_low'");
    if (a.low && a.low_low && *a.low < *a.low_low)
      r.fail_here(fmt::format("low ({}) must not be below low_low ({})", num(*a.low), num(*a.low_low)));
    break;
  case AlarmRule::Type::hl:
    if (!a.high || !a.low) r.fail_here("alarm type HL needs both 'high' and 'low'");
    if (*a.low >= *a.high) r.fail_here(fmt::format("low ({}) must be below high ({})", num(*a.low), num(*a.high)));
    if (a.high_high && *a.high > *a.high_high)
      r.fail_here(fmt::format("high ({}) must not be above high_high ({})", num(*a.high), num(*a.high_high)));
    if (a.low_low && *a.low < *a.low_low)
      r.fail_here(fmt::format("low ({}) must not be below low_low ({})", num(*a.low), num(*a.low_low)));
    break;
  }
  return a;
}

GeneratorSpec read_generator(const Reader& parent) {
  const toml::table* t = parent.subtable("generator");
  Reader r(parent.file(), *t, parent.key_path("generator"));
  GeneratorSpec g;
  g.pos = r.pos();
  const std::string kind = r.required_str("kind");
  g.kind = enum_from(r, "kind", kind, k_generator_kinds, "generator kind");
  using K = GeneratorSpec::Kind;
  switch (g.kind) {
  case K::constant:
    r.check_keys({"kind", "value"});
    g.value = r.number("value").value_or(0);
    break;
  case K::ramp:
    r.check_keys({"kind", "from", "to", "period"});
    g.from = r.number("from").value_or(0);
    if (!r.has("to")) r.fail_here("a ramp needs 'to'");
    g.to = *r.number("to");
    if (!r.has("period")) r.fail_here("a ramp needs 'period'");
    g.period = *r.duration("period");
    if (g.period.count() <= 0) r.fail_at("period", "must be more than 0");
    break;
  case K::sine:
    r.check_keys({"kind", "min", "max", "period"});
    if (!r.has("min") || !r.has("max")) r.fail_here("a sine needs 'min' and 'max'");
    g.min = *r.number("min");
    g.max = *r.number("max");
    if (g.min > g.max) r.fail_here(fmt::format("min ({}) is above max ({})", g.min, g.max));
    if (!r.has("period")) r.fail_here("a sine needs 'period'");
    g.period = *r.duration("period");
    if (g.period.count() <= 0) r.fail_at("period", "must be more than 0");
    break;
  case K::walk:
    r.check_keys({"kind", "min", "max", "step", "seed", "value", "period"});
    if (!r.has("min") || !r.has("max")) r.fail_here("a walk needs 'min' and 'max'");
    g.min = *r.number("min");
    g.max = *r.number("max");
    if (g.min > g.max) r.fail_here(fmt::format("min ({}) is above max ({})", g.min, g.max));
    g.step = r.number("step").value_or(1);
    if (g.step <= 0) r.fail_at("step", "must be more than 0");
    g.seed = static_cast<std::uint64_t>(r.integer("seed", 0, std::numeric_limits<std::int64_t>::max()).value_or(1));
    g.value = r.number("value").value_or(0); // the start, clamped into [min, max] by the simulator
    if (auto p = r.duration("period")) {
      if (p->count() <= 0) r.fail_at("period", "must be more than 0");
      g.period = *p;
    }
    break;
  case K::step: {
    r.check_keys({"kind", "schedule", "period"});
    const toml::node* n = r.get("schedule");
    if (!n) r.fail_here("a step generator needs 'schedule' = [[time, value], ...]");
    const toml::array* a = n->as_array();
    if (!a) r.expect("schedule", *n, "an array of [time, value] pairs");
    for (std::size_t i = 0; i < a->size(); ++i) {
      const toml::node& e = *a->get(i);
      const std::string ep = fmt::format("schedule[{}]", i);
      const toml::array* pair = e.as_array();
      if (!pair || pair->size() != 2) r.expect(ep, e, "a [time, value] pair");
      const Duration at = r.duration_of(ep, *pair->get(0));
      const std::optional<double> value = number_value(*pair->get(1));
      if (!value) r.expect(ep, *pair->get(1), "a number as the value");
      if (!g.schedule.empty() && at < g.schedule.back().first)
        fail(pos_of(r.file(), e.source()), r.key_path(ep), "schedule times must not go backwards");
      g.schedule.emplace_back(at, *value);
    }
    if (g.schedule.empty()) r.fail_at("schedule", "the schedule is empty");
    if (auto p = r.duration("period")) {
      if (*p <= g.schedule.back().first) r.fail_at("period", "must be longer than the last schedule time");
      g.period = *p;
    }
    break;
  }
  case K::replay: {
    r.check_keys({"kind", "file", "column", "time_column", "loop", "period"});
    const std::string file = r.required_str("file");
    if (file.empty()) r.fail_at("file", "must not be empty");
    g.file = fs::path(file).is_absolute() ? fs::path(file) : r.file().dir / file;
    std::error_code ec;
    if (!fs::is_regular_file(g.file, ec)) r.fail_at("file", fmt::format("cannot read {}", g.file.string()));
    g.column = r.str("column").value_or("");
    if (auto p = r.duration("period")) {
      if (p->count() <= 0) r.fail_at("period", "must be more than 0");
      g.period = *p;
    }
    g.time_column = r.str("time_column").value_or("");
    g.loop = r.boolean("loop").value_or(true);
    break;
  }
  case K::link:
    r.check_keys({"kind", "point", "factor", "offset"});
    g.point = r.required_str("point");
    if (g.point.empty()) r.fail_at("point", "must name a point");
    g.factor = r.number("factor").value_or(1);
    g.offset = r.number("offset").value_or(0);
    break;
  }
  return g;
}

// Applies the keys of one point table (except name/repeat/stride/addr) onto `p`.
void apply_point_keys(const Reader& r, Point& p) {
  using values::ValueType;
  if (auto s = r.str("type")) {
    auto t = values::parse_value_type(*s);
    if (!t)
      r.fail_at("type", fmt::format("unknown type '{}'{}; expected u16, i16, u32, i32, u64, i64, f16, f32, f64, bit, "
                                    "string, bcd16 or bcd32",
                                    *s, suggest(to_lower(*s), {"u16",    "i16",   "u32",     "i32",     "u64",
                                                               "i64",    "f16",   "f32",     "f64",     "bit",
                                                               "string", "bcd16", "bcd32",   "uint16",  "int16",
                                                               "uint32", "int32", "float32", "float64", "float"})));
    p.format.type = *t;
  }
  if (auto s = r.str("order")) {
    auto o = values::parse_word_order(*s);
    if (!o) r.fail_at("order", fmt::format("unknown order '{}'; expected ABCD, CDAB, BADC or DCBA", *s));
    p.format.order = *o;
  }
  if (auto s = r.str("byte_order")) {
    auto o = values::parse_byte_order(*s);
    if (!o) r.fail_at("byte_order", fmt::format("unknown byte order '{}'; expected high_first or low_first", *s));
    p.format.byte_order = *o;
  }
  if (auto v = r.integer("length", 1, 250)) p.format.length = static_cast<std::uint16_t>(*v);
  if (auto v = r.integer("bit", 0, 15)) p.format.bit = static_cast<std::uint8_t>(*v);
  if (auto v = r.number("scale")) {
    if (*v == 0) r.fail_at("scale", "must not be 0");
    p.scaling.scale = *v;
  }
  if (auto v = r.number("offset")) p.scaling.offset = *v;
  if (auto v = r.number("zero")) p.scaling.zero = *v;
  if (auto v = r.integer("decimals", 0, 9)) p.scaling.decimals = static_cast<int>(*v);
  if (auto s = r.str("uom")) p.uom = *s;
  if (auto s = r.str("description")) p.description = *s;
  if (auto b = r.boolean("enabled")) p.enabled = *b;
  if (auto b = r.boolean("writable")) {
    p.writable = *b;
    p.read_only = !*b; // written out as false: the simulator refuses writes too
  }
  if (auto d = r.duration("storage_period")) p.storage_period = *d;
  if (auto v = r.number("report_deadband")) {
    if (*v < 0) r.fail_at("report_deadband", "must not be negative");
    p.report_deadband = *v;
  }
  if (r.has("alarm")) p.alarm = read_alarm(r, p.alarm ? &*p.alarm : nullptr);
  if (r.has("generator")) p.generator = read_generator(r);
}

// Checks that hold for a finished point.
void check_point(const Reader& r, const Point& p) {
  using values::ValueType;
  const bool bits = !values::is_register_table(p.ref.table);
  if (bits && p.format.type != ValueType::bit)
    r.fail_here(fmt::format("point '{}' at {} is a {}: its type must be bit, not {}", p.name, values::to_string(p.ref),
                            p.ref.table == values::Table::coil ? "coil" : "discrete input",
                            values::value_type_name(p.format.type)));
  if (p.format.type == ValueType::string && p.format.length == 0)
    r.fail_here(fmt::format("point '{}' of type string needs 'length' (characters)", p.name));
  if (p.writable && !values::is_writable_table(p.ref.table))
    r.fail_here(fmt::format("point '{}' at {} cannot be writable: input registers and discrete inputs are read-only",
                            p.name, values::to_string(p.ref)));
  if (static_cast<std::uint32_t>(p.ref.addr) + p.count() > 65536)
    r.fail_here(fmt::format("point '{}' at {} needs {} registers and runs past address 65535", p.name,
                            values::to_string(p.ref), p.count()));
}

// Reads one [[...point]] table into one or more points (repeat). `base_of` gives the
// point being overridden for a name (model point) or nullptr.
void read_points(const Reader& r, std::vector<Point>& out,
                 const std::function<const Point*(const std::string&)>& base_of, bool need_addr = true) {
  r.check_keys(k_point_keys);
  const std::string pattern = r.required_str("name");
  if (pattern.empty()) r.fail_at("name", "must not be empty");
  const auto repeat = static_cast<std::uint32_t>(r.integer("repeat", 1, 65536).value_or(1));
  if (repeat > 1 && pattern.find("{n") == std::string::npos)
    r.fail_at("name", fmt::format("repeat = {} needs a {{n}} in the name (e.g. \"ch{{n}}\")", repeat));
  std::optional<values::Ref> addr;
  if (const toml::node* n = r.get("addr")) {
    auto s = n->as_string();
    if (!s) r.expect("addr", *n, "a string such as \"hr:0\" or \"40001\"");
    try {
      addr = values::parse_ref(s->get());
    } catch (const Error& e) {
      std::string m = e.what();
      if (s->get().find(':') != s->get().rfind(':'))
        m = fmt::format("'{}': addr takes no count; the type sets the width", s->get());
      r.fail_at("addr", m);
    }
  }
  const auto stride = r.integer("stride", 0, 65535);
  const auto first = static_cast<std::uint32_t>(r.integer("first", 0, 65535).value_or(1));
  if (r.has("first") && pattern.find("{n") == std::string::npos)
    r.fail_at("first", "first needs a {n} in the name (e.g. \"ch{n}\")");
  for (std::uint32_t n = first; n < first + repeat; ++n) {
    const std::string name = pattern.find("{n") != std::string::npos ? expand_name(pattern, n) : pattern;
    const Point* base = base_of(name);
    Point p = base ? *base : Point{};
    p.name = name;
    p.pos = r.pos();
    if (!base && !addr && need_addr) r.fail_here(fmt::format("point '{}' needs 'addr' (e.g. \"hr:0\")", name));
    if (addr && !base && !r.has("type") && !values::is_register_table(addr->table))
      p.format.type = values::ValueType::bit;
    apply_point_keys(r, p);
    if (addr) {
      const std::uint32_t step = stride ? static_cast<std::uint32_t>(*stride) : p.count();
      const std::uint64_t a = addr->addr + static_cast<std::uint64_t>(n - first) * step;
      if (a > 65535)
        r.fail_at("addr", fmt::format("'{}' would be at address {}, past 65535", expand_name(pattern, n), a));
      p.ref = {addr->table, static_cast<std::uint16_t>(a)};
    }
    check_point(r, p);
    out.push_back(std::move(p));
  }
}

void check_unique_points(const Reader& r, const std::vector<Point>& points) {
  std::map<std::string, const Point*> seen;
  for (const auto& p : points) {
    auto [it, fresh] = seen.emplace(p.name, &p);
    if (!fresh)
      fail(p.pos, r.path(), fmt::format("point name '{}' is used twice (first at {})", p.name, it->second->pos.str()));
  }
}

// ---------------------------------------------------------------------------
// Models

void read_models(const FileCtx& file, const Reader& top, std::map<std::string, Model>& models, bool keep_first) {
  const auto tables = top.tables("model");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    Reader r(file, *tables[i], fmt::format("model[{}]", i));
    r.check_keys({"name", "description", "max_read", "point"});
    Model m;
    m.pos = r.pos();
    m.name = r.required_str("name");
    if (m.name.empty()) r.fail_at("name", "must not be empty");
    m.description = r.str("description").value_or("");
    if (auto v = r.integer("max_read", 1, 125)) m.max_read = static_cast<std::uint16_t>(*v);
    const auto points = r.tables("point");
    for (std::size_t j = 0; j < points.size(); ++j) {
      Reader pr(file, *points[j], fmt::format("{}.point[{}]", r.path(), j));
      read_points(pr, m.points, [](const std::string&) { return nullptr; });
    }
    check_unique_points(r, m.points);
    if (auto it = models.find(m.name); it != models.end()) {
      if (keep_first) continue;
      r.fail_at("name", fmt::format("model '{}' is defined twice (first at {})", m.name, it->second.pos.str()));
    }
    models.emplace(m.name, std::move(m));
  }
}

toml::table parse_toml(std::string_view text, const std::string& display) {
  try {
    return toml::parse(text, display);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw config_error(fmt::format("{}:{}:{}: {}", display, b.line, b.column, e.description()));
  }
}

std::string read_file(const fs::path& path, const std::string& display) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error(fmt::format("{}: cannot read the file", display));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::map<std::string, Model> load_model_file(const fs::path& path, const std::string& display) {
  const std::string text = read_file(path, display);
  FileCtx file{display, path.parent_path()};
  const toml::table root = parse_toml(text, display);
  Reader top(file, root, "");
  top.check_keys({"model"});
  std::map<std::string, Model> models;
  read_models(file, top, models, false);
  return models;
}

void load_catalog_dir(const fs::path& dir, std::map<std::string, Model>& models) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    for (auto& [name, m] : load_model_file(f, f.string()))
      models.emplace(name, std::move(m)); // models already known (the site's, earlier directories') win
  }
}

// ---------------------------------------------------------------------------
// Faults and devices

const std::vector<std::string_view> k_fault_keys{"kind",  "code",        "ms_per_byte", "delay",   "bytes",  "after",
                                                 "every", "probability", "addr",        "offline", "online", "period"};

FaultSpec read_fault(const Reader& r) {
  r.check_keys(k_fault_keys);
  FaultSpec f;
  f.pos = r.pos();
  f.kind = enum_from(r, "kind", r.required_str("kind"), k_fault_kinds, "fault kind");
  using K = FaultSpec::Kind;
  const auto only_for = [&](std::string_view key, std::initializer_list<K> kinds) {
    if (r.has(key) && std::find(kinds.begin(), kinds.end(), f.kind) == kinds.end())
      r.fail_at(key, fmt::format("'{}' does not apply to a {} fault", key, fault_kind_name(f.kind)));
  };
  only_for("code", {K::exception});
  only_for("ms_per_byte", {K::slow});
  only_for("delay", {K::delay, K::split});
  only_for("bytes", {K::truncate, K::garbage});
  only_for("after", {K::garbage});
  only_for("offline", {K::flap});
  only_for("online", {K::flap});
  only_for("period", {K::flap});
  if (f.kind == K::busy) f.code = 0x06; // Modbus Application Protocol V1.1b3 §7: server device busy
  if (r.has("code")) f.code = exception_code(r, "code");
  if (auto v = r.number("ms_per_byte")) {
    if (*v < 0 || *v > 10000) r.fail_at("ms_per_byte", "must be from 0 to 10000");
    f.ms_per_byte = *v;
  }
  if (f.kind == K::slow && !r.has("ms_per_byte")) r.fail_here("a slow fault needs 'ms_per_byte'");
  if (auto d = r.duration("delay")) f.delay = *d;
  if (f.kind == K::delay && !r.has("delay")) r.fail_here("a delay fault needs 'delay'");
  if (auto v = r.integer("bytes", 0, 512)) f.bytes = static_cast<std::uint32_t>(*v);
  if (auto b = r.boolean("after")) f.after = *b;
  if (auto v = r.integer("every", 1, 1000000)) f.every = static_cast<std::uint32_t>(*v);
  if (auto v = r.number("probability")) {
    if (*v < 0 || *v > 1) r.fail_at("probability", "must be from 0 to 1");
    f.probability = *v;
  }
  if (auto s = r.str("addr")) {
    try {
      f.addr = values::parse_range(*s);
    } catch (const Error& e) {
      r.fail_at("addr", e.what());
    }
  }
  if (f.kind == K::flap) {
    if (!r.has("offline")) r.fail_here("a flap fault needs 'offline' (and 'online' or 'period')");
    f.offline = *r.duration("offline");
    if (auto d = r.duration("online"))
      f.online = *d;
    else if (auto p = r.duration("period")) {
      if (*p <= f.offline) r.fail_at("period", "must be longer than 'offline'");
      f.online = *p - f.offline;
    } else {
      r.fail_here("a flap fault needs 'online' or 'period'");
    }
  }
  return f;
}

const std::vector<std::string_view> k_device_keys{"name",    "unit",     "model", "description",
                                                  "enabled", "max_read", "fault", "point"};

// The model `name` from the catalog (loading the catalog directory first when
// the site's own files lack it); an unknown name fails at the device's "model"
// key with the nearest names suggested.
const Model& find_model(const Reader& r, const std::map<std::string, Model>& models,
                        const std::function<void(const std::string&)>& need_catalog, const std::string& name) {
  if (!models.count(name)) need_catalog(name);
  auto it = models.find(name);
  if (it == models.end()) {
    std::vector<std::string_view> names;
    for (const auto& [n, mm] : models)
      names.push_back(n);
    r.fail_at("model", fmt::format("unknown model '{}'{}", name, suggest(name, names)));
  }
  return it->second;
}

// A [[port.device]] entry (a Modbus device or meters) with its position and name, which
// links address as device.point.
Device named_device(const Reader& r) {
  Device d;
  d.pos = r.pos();
  d.name = r.required_str("name");
  if (d.name.empty()) r.fail_at("name", "must not be empty");
  if (d.name.find('.') != std::string::npos) r.fail_at("name", "must not contain '.' (links use device.point)");
  return d;
}

Device read_device(const Reader& r, const std::map<std::string, Model>& models, const PortSettings& settings,
                   const std::function<void(const std::string&)>& need_catalog) {
  r.check_keys(k_device_keys);
  Device d = named_device(r);
  if (!r.has("unit")) r.fail_here("missing key 'unit'");
  const std::int64_t unit = *r.integer("unit", 0, 255);
  // Modbus over Serial Line V1.02 §2.2: 0 is broadcast, 248-255 reserved.
  if (!settings.allow_reserved && (unit == 0 || unit > 247))
    r.fail_at("unit", fmt::format("unit id {} is {}; use 1-247 or set allow_reserved = true on the port", unit,
                                  unit == 0 ? "the broadcast address" : "reserved"));
  d.unit = static_cast<std::uint8_t>(unit);
  d.description = r.str("description").value_or("");
  d.enabled = r.boolean("enabled").value_or(true);
  if (auto v = r.integer("max_read", 1, 125)) d.max_read = static_cast<std::uint16_t>(*v);
  const Model* model = nullptr;
  if (auto m = r.str("model")) {
    d.model = *m;
    model = &find_model(r, models, need_catalog, *m);
    d.points = model->points;
    d.model_max_read = model->max_read;
  }
  // Device points override model points by name or add new ones.
  std::vector<Point> extra;
  const auto points = r.tables("point");
  for (std::size_t j = 0; j < points.size(); ++j) {
    Reader pr(r.file(), *points[j], fmt::format("{}.point[{}]", r.path(), j));
    std::vector<Point> read;
    read_points(pr, read, [&](const std::string& name) -> const Point* {
      for (const auto& p : d.points)
        if (p.name == name) return &p;
      return nullptr;
    });
    for (auto& p : read) {
      auto it = std::find_if(d.points.begin(), d.points.end(), [&](const Point& q) { return q.name == p.name; });
      if (it != d.points.end())
        *it = std::move(p);
      else
        d.points.push_back(std::move(p));
    }
  }
  check_unique_points(r, d.points);
  const auto faults = r.tables("fault");
  const bool single = r.has("fault") && r.get("fault")->is_table();
  for (std::size_t k = 0; k < faults.size(); ++k) {
    Reader fr(r.file(), *faults[k], single ? r.key_path("fault") : fmt::format("{}.fault[{}]", r.path(), k));
    d.faults.push_back(read_fault(fr));
  }
  return d;
}

// ---------------------------------------------------------------------------
// Acrel meters on mqtt:// ports

bool is_mqtt_url(std::string_view url) {
  const std::string u = to_lower(url);
  return u.starts_with("mqtt://") || u.starts_with("mqtts://");
}

const std::vector<std::string_view> k_meter_keys{"name",        "sn",      "count",   "model",
                                                 "description", "enabled", "product", "meter_name",
                                                 "up_interval", "fast",    "format",  "point"};

std::string data_key_list() {
  std::string out;
  for (const auto& [k, u] : acrel::data_keys()) {
    (void)u;
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// The `data` key of a point on a meter; model points without one are not published.
std::optional<std::string_view> meter_key(const Point& p) { return acrel::data_key_of_point(p.name); }

// One [[port.device]] of an mqtt:// port: `count` Acrel meters. `next_sn` is the SN
// the entry gets when it has no `sn` key; it moves past the entry's SNs.
Device read_meter(const Reader& r, const std::map<std::string, Model>& models,
                  const std::function<void(const std::string&)>& need_catalog, std::uint64_t& next_sn) {
  for (std::string_view k : {"unit", "max_read", "fault"})
    if (r.has(k)) r.fail_at(k, fmt::format("'{}' does not apply to a meter on an mqtt port", k));
  r.check_keys(k_meter_keys);
  Device d = named_device(r);
  d.description = r.str("description").value_or("");
  d.enabled = r.boolean("enabled").value_or(true);
  MeterSettings m;
  m.count = static_cast<std::uint32_t>(r.integer("count", 1, 100000).value_or(1));
  if (m.count > 1 && d.name.find("{n") == std::string::npos)
    r.fail_at("name", fmt::format("count = {} needs a {{n}} in the name (e.g. \"meter{{n:04}}\")", m.count));
  // The SN: 14 digits in every example (reference §2); written as a string so
  // leading zeros ("01234567890123", S1) survive. Meters of a count get SN + i.
  if (const toml::node* n = r.get("sn")) {
    std::string text;
    if (auto sv = n->as_string())
      text = sv->get();
    else if (auto iv = n->as_integer(); iv && iv->get() >= 0)
      text = std::to_string(iv->get());
    else
      r.expect("sn", *n, "a serial number of digits, e.g. \"26010100000001\"");
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
      r.fail_at("sn", fmt::format("'{}' is not a serial number of 1-18 digits", text));
    m.first_sn = std::stoull(text);
    m.sn_digits = static_cast<std::uint32_t>(text.size());
  } else {
    m.first_sn = next_sn;
    m.sn_digits = 14;
  }
  {
    const std::uint64_t last = m.first_sn + m.count - 1;
    if (std::to_string(last).size() > m.sn_digits)
      r.fail_at(r.has("sn") ? "sn" : "count",
                fmt::format("the last of {} serial numbers from {} has more than {} digits", m.count, m.first_sn,
                            m.sn_digits));
    next_sn = last + 1;
  }
  const Model* model = nullptr;
  if (auto mn = r.str("model")) {
    d.model = *mn;
    model = &find_model(r, models, need_catalog, *mn);
    for (const auto& p : model->points)
      if (meter_key(p)) d.points.push_back(p); // the others have no acrelHW data key
  }
  m.product = r.str("product").value_or("ADW300"); // [INVENTED default] S1 shows "null", code "AWT100"
  if (m.product.empty() || m.product.find_first_of("/+#") != std::string::npos)
    r.fail_at("product", "must be one topic level: not empty, without '/', '+' or '#'");
  m.meter_name = r.str("meter_name").value_or(model ? to_lower(model->name) : std::string("adw300"));
  if (const toml::node* n = r.get("up_interval")) {
    // Minutes in the protocol (para upInterval, reference §3.3): a number of minutes or "5m".
    std::int64_t minutes = 0;
    if (auto iv = n->as_integer()) {
      minutes = iv->get();
    } else {
      const Duration dur = r.duration_of("up_interval", *n);
      if (dur.count() % 60000000 != 0) r.fail_at("up_interval", "must be whole minutes (upInterval is in minutes)");
      minutes = dur.count() / 60000000;
    }
    if (minutes < 1 || minutes > 1440) r.fail_at("up_interval", "must be from 1 to 1440 minutes");
    m.up_interval = static_cast<std::uint32_t>(minutes);
  }
  if (auto f = r.duration("fast")) {
    if (*f < std::chrono::milliseconds(10)) r.fail_at("fast", "must be at least 10ms");
    m.fast = *f;
  }
  if (auto f = r.str("format")) {
    if (!acrel::parse_data_format(*f))
      r.fail_at("format", fmt::format("'{}' is not a data format: type (acrelHW keys) or point-id (2025 ADW300)", *f));
    m.format = *f;
  }
  // Points: the data keys (ua, ia, p, hz, wh …) or the ADW300 catalog names of the
  // same quantities; a point replaces the model point with the same key.
  const auto points = r.tables("point");
  for (std::size_t j = 0; j < points.size(); ++j) {
    Reader pr(r.file(), *points[j], fmt::format("{}.point[{}]", r.path(), j));
    std::vector<Point> read;
    const auto same = [](const Point& q, std::string_view name) {
      return q.name == name || (meter_key(q) && meter_key(q) == acrel::data_key_of_point(name));
    };
    read_points(
        pr, read,
        [&](const std::string& name) -> const Point* {
          for (const auto& p : d.points)
            if (same(p, name)) return &p;
          return nullptr;
        },
        false);
    for (auto& p : read) {
      if (!meter_key(p))
        pr.fail_at(
            "name",
            fmt::format("'{}' is not a key of acrelHW data; expected one of {}, di1-di4, alarm1-alarm3 (or "
                        "the ADW300 catalog's names of these: freq, ep_import, temp_a, thd_ua, ep_total_sharp …)",
                        p.name, data_key_list()));
      auto it = std::find_if(d.points.begin(), d.points.end(), [&](const Point& q) { return same(q, p.name); });
      if (it != d.points.end())
        *it = std::move(p);
      else
        d.points.push_back(std::move(p));
    }
  }
  check_unique_points(r, d.points);
  if (d.points.empty())
    r.fail_here("a meter needs points: a model (e.g. model = \"ADW300\") or [[port.device.point]] entries");
  d.meter = std::move(m);
  return d;
}

const std::vector<std::string_view> k_mqtt_port_keys{
    "name",    "url",       "description", "device",   "username",  "password_file", "password_env",
    "ca_file", "cert_file", "key_file",    "insecure", "keepalive", "heart",         "qos"};

MqttSettings read_mqtt_settings(const Reader& r, const std::string& url) {
  for (const auto& k : k_setting_keys)
    if (r.has(k)) r.fail_at(k, fmt::format("'{}' is a Modbus setting; it does not apply to an mqtt port", k));
  r.check_keys(k_mqtt_port_keys);
  MqttSettings m;
  m.broker = url;
  bool tls = false;
  try {
    tls = mqtt::parse_broker_url(url).tls;
  } catch (const Error& e) {
    r.fail_at("url", e.what());
  }
  m.username = r.str("username").value_or("");
  const auto file_key = [&](std::string_view key) -> std::string {
    auto v = r.str(key);
    if (!v) return {};
    if (v->empty()) r.fail_at(key, "must not be empty");
    const fs::path f = fs::path(*v).is_absolute() ? fs::path(*v) : r.file().dir / *v;
    std::error_code ec;
    if (!fs::is_regular_file(f, ec)) r.fail_at(key, fmt::format("cannot read {}", f.string()));
    return f.string();
  };
  m.password_file = file_key("password_file");
  m.password_env = r.str("password_env").value_or("");
  if (!m.password_file.empty() && !m.password_env.empty())
    r.fail_at("password_env", "give password_file or password_env, not both");
  m.ca_file = file_key("ca_file");
  m.cert_file = file_key("cert_file");
  m.key_file = file_key("key_file");
  m.insecure = r.boolean("insecure").value_or(false);
  for (std::string_view k : {"ca_file", "cert_file", "key_file", "insecure"})
    if (r.has(k) && !tls) r.fail_at(k, fmt::format("'{}' needs a TLS broker url (mqtts://)", k));
  if (m.cert_file.empty() != m.key_file.empty())
    r.fail_at(m.cert_file.empty() ? "key_file" : "cert_file", "a client certificate needs both cert_file and key_file");
  if (auto d = r.duration("keepalive")) {
    if (*d < std::chrono::seconds(1) || *d > std::chrono::seconds(65535))
      r.fail_at("keepalive", "must be from 1s to 65535s"); // MQTT 3.1.1 §3.1.2.10: a 16-bit number of seconds
    m.keepalive = *d;
  }
  if (auto d = r.duration("heart")) {
    if (*d < std::chrono::milliseconds(10)) r.fail_at("heart", "must be at least 10ms");
    m.heart = *d;
  }
  if (auto q = r.integer("qos", 0, 2)) m.qos = static_cast<int>(*q);
  return m;
}

// Link generators must name an existing point and must not form a cycle.
void check_links(const Site& site) {
  std::map<std::string, const Point*> all; // "device.point"
  for (const auto& port : site.ports)
    for (const auto& d : port.devices)
      for (const auto& p : d.points)
        all.emplace(d.name + "." + p.name, &p);
  const auto target_of = [&](const Device& d, const GeneratorSpec& g) -> std::string {
    return g.point.find('.') == std::string::npos ? d.name + "." + g.point : g.point;
  };
  std::map<std::string, std::string> edges;
  for (const auto& port : site.ports)
    for (const auto& d : port.devices)
      for (const auto& p : d.points) {
        if (!p.generator || p.generator->kind != GeneratorSpec::Kind::link) continue;
        const std::string target = target_of(d, *p.generator);
        if (!all.count(target))
          fail(p.generator->pos, fmt::format("{}.{}.generator.point", d.name, p.name),
               fmt::format("linked point '{}' does not exist", p.generator->point));
        edges[d.name + "." + p.name] = target;
      }
  for (const auto& [start, first] : edges) {
    std::set<std::string> seen{start};
    std::string cur = first;
    while (edges.count(cur)) {
      if (!seen.insert(cur).second) {
        const Point* p = all.at(start);
        fail(p->generator->pos, start + ".generator", fmt::format("links form a cycle through '{}'", cur));
      }
      cur = edges.at(cur);
    }
  }
}

// ---------------------------------------------------------------------------
// [[link]]: alarm relay linkage

// "device.point", "device.point >= H" or "device.point == HH". Device names may hold dots:
// the split is the one that names an existing device.
LinkCondition read_condition(const Site& site, const FileCtx& file, const toml::node& n, const std::string& key) {
  LinkCondition c;
  c.pos = pos_of(file, n.source());
  const auto* s = n.as_string();
  if (!s) fail(c.pos, key, fmt::format("expected a condition such as \"ctrl1.ch1 >= H\", got {}", toml_type_name(n)));
  c.text = s->get();
  std::string subject = c.text;
  for (std::string_view op : {">=", "=="}) {
    if (auto at = c.text.find(op); at != std::string::npos) {
      c.op = op == ">=" ? LinkCondition::Op::at_least : LinkCondition::Op::equal;
      subject = c.text.substr(0, at);
      std::string level = c.text.substr(at + 2);
      level.erase(0, level.find_first_not_of(" \t"));
      level.erase(level.find_last_not_of(" \t") + 1);
      for (auto& ch : level)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (level != "H" && level != "HH" && level != "L" && level != "LL")
        fail(c.pos, key, fmt::format("'{}': the level must be H, HH, L or LL", c.text));
      c.level = level;
      break;
    }
  }
  subject.erase(0, subject.find_first_not_of(" \t"));
  subject.erase(subject.find_last_not_of(" \t") + 1);
  const Device* dev = nullptr;
  for (std::size_t dot = subject.find('.'); dot != std::string::npos; dot = subject.find('.', dot + 1)) {
    const Port* port = nullptr;
    if (const Device* d = site.find_device(subject.substr(0, dot), &port); d != nullptr && !port->mqtt) {
      dev = d;
      c.device = subject.substr(0, dot);
      c.point = subject.substr(dot + 1);
      break;
    }
  }
  if (subject.find('.') == std::string::npos)
    fail(c.pos, key, fmt::format("'{}': expected DEVICE.POINT [>= LEVEL | == LEVEL], e.g. \"ctrl1.ch1 >= H\"", c.text));
  if (!dev)
    fail(c.pos, key,
         fmt::format("'{}': no Modbus device '{}' in this site", c.text, subject.substr(0, subject.find('.'))));
  const Point* p = dev->find_point(c.point);
  if (!p) fail(c.pos, key, fmt::format("'{}': device '{}' has no point '{}'", c.text, c.device, c.point));
  if (!p->alarm)
    fail(c.pos, key,
         fmt::format("'{}': point {}.{} has no alarm (alarm = {{ ... }}), so the link could never start", c.text,
                     c.device, c.point));
  if (!c.level.empty()) {
    const AlarmRule& a = *p->alarm;
    const bool high_side = c.level[0] == 'H';
    const bool double_level = c.level.size() == 2;
    bool possible = false;
    switch (a.type) {
    case AlarmRule::Type::hh: possible = high_side && (double_level ? a.high_high.has_value() : true); break;
    case AlarmRule::Type::ll: possible = !high_side && (double_level ? a.low_low.has_value() : true); break;
    case AlarmRule::Type::hl:
      possible = double_level ? (high_side ? a.high_high.has_value() : a.low_low.has_value()) : true;
      break;
    case AlarmRule::Type::window: possible = !double_level; break;
    }
    if (!possible)
      fail(c.pos, key,
           fmt::format("'{}': the {} alarm of {}.{} never reaches level {}", c.text, alarm_type_name(a.type), c.device,
                       c.point, c.level));
  }
  return c;
}

values::Value link_value(const Reader& r, std::string_view key) {
  const toml::node* n = r.get(key);
  if (auto b = n->as_boolean()) return b->get();
  if (auto i = n->as_integer()) return static_cast<std::int64_t>(i->get());
  if (auto d = n->as_floating_point()) return d->get();
  r.expect(key, *n, "a number or true/false");
}

LinkAction read_action(const Site& site, const Reader& r) {
  r.check_keys({"device", "point", "value", "release"});
  LinkAction a;
  a.pos = r.pos();
  a.device = r.required_str("device");
  a.point = r.required_str("point");
  if (!r.has("value")) r.fail_here("missing key 'value' (what to write while the link is active)");
  a.value = link_value(r, "value");
  if (r.has("release"))
    a.release = link_value(r, "release");
  else if (std::holds_alternative<bool>(a.value))
    a.release = false;
  else
    a.release = std::int64_t{0};
  const Port* port = nullptr;
  const Device* d = site.find_device(a.device, &port);
  if (!d || port->mqtt) r.fail_at("device", fmt::format("no Modbus device '{}' in this site", a.device));
  const Point* p = d->find_point(a.point);
  if (!p) r.fail_at("point", fmt::format("device '{}' has no point '{}'", a.device, a.point));
  if (p->ref.table != values::Table::coil && p->ref.table != values::Table::holding_register)
    r.fail_at("point", fmt::format("{}.{} at {} cannot be written: a relay is a coil or a holding register", a.device,
                                   a.point, values::to_string(p->ref)));
  if (!p->writable)
    r.fail_at("point", fmt::format("{}.{} is not writable: add writable = true to the point", a.device, a.point));
  if (!d->enabled)
    r.fail_at("device",
              fmt::format("device '{}' is disabled (enabled = false): its relay cannot be switched", a.device));
  return a;
}

void read_links(const FileCtx& file, const Reader& top, Site& site) {
  const auto links = top.tables("link");
  std::map<std::string, SourcePos> names;
  for (std::size_t i = 0; i < links.size(); ++i) {
    Reader r(file, *links[i], fmt::format("link[{}]", i));
    r.check_keys({"name", "description", "when", "then"});
    Link link;
    link.pos = r.pos();
    link.name = r.str("name").value_or(fmt::format("link{}", i + 1));
    if (link.name.empty()) r.fail_at("name", "must not be empty");
    if (auto it = names.find(link.name); it != names.end())
      r.fail_at("name", fmt::format("link name '{}' is used twice (first at {})", link.name, it->second.str()));
    names.emplace(link.name, link.pos);
    const toml::node* when = r.get("when");
    if (!when) r.fail_here("missing key 'when' (e.g. when = \"ctrl1.ch1 >= H\")");
    if (const toml::array* a = when->as_array()) {
      if (a->empty()) r.fail_at("when", "needs at least one condition");
      for (std::size_t j = 0; j < a->size(); ++j)
        link.when.push_back(read_condition(site, file, *a->get(j), r.key_path(fmt::format("when[{}]", j))));
    } else {
      link.when.push_back(read_condition(site, file, *when, r.key_path("when")));
    }
    if (!r.has("then"))
      r.fail_here("missing key 'then' (e.g. then = [{ device = \"relay1\", point = \"k1\", value = 1 }])");
    const auto actions = r.tables("then");
    if (actions.empty()) r.fail_at("then", "needs at least one { device, point, value }");
    for (std::size_t j = 0; j < actions.size(); ++j) {
      Reader ar(file, *actions[j], r.key_path(fmt::format("then[{}]", j)));
      link.then.push_back(read_action(site, ar));
    }
    site.links.push_back(std::move(link));
  }
}

// A port's name (its url when it has none), unique in the site.
std::string port_name(const Reader& r, const std::string& url, const std::vector<Port>& ports) {
  std::string name = r.str("name").value_or(url);
  if (name.empty()) r.fail_at("name", "must not be empty");
  for (const auto& other : ports)
    if (other.name == name)
      r.fail_at(r.has("name") ? "name" : "url",
                fmt::format("port name '{}' is used twice (first at {})", name, other.pos.str()));
  return name;
}

Site parse(std::string_view text, const fs::path& path, const LoadOptions& options) {
  const std::string display = path.string();
  FileCtx file{display, path.parent_path()};
  const toml::table root = parse_toml(text, display);
  Reader top(file, root, "");
  top.check_keys({"site", "defaults", "port", "model", "link"});

  Site site;
  site.file = path;
  // [site]
  if (const toml::table* t = top.subtable("site")) {
    Reader r(file, *t, "site");
    r.check_keys({"name", "description", "models", "catalog"});
    site.name = r.str("name").value_or("");
    if (auto c = r.str("catalog")) {
      const fs::path dir = fs::path(*c).is_absolute() ? fs::path(*c) : file.dir / *c;
      std::error_code ec;
      if (!fs::is_directory(dir, ec)) r.fail_at("catalog", fmt::format("{} is not a directory", dir.string()));
      site.catalog = dir;
    }
    if (const toml::node* n = r.get("models")) {
      const toml::array* a = n->as_array();
      if (!a) r.expect("models", *n, "an array of file names");
      for (std::size_t i = 0; i < a->size(); ++i) {
        const toml::node& e = *a->get(i);
        auto s = e.as_string();
        const std::string kp = fmt::format("site.models[{}]", i);
        if (!s) fail(pos_of(file, e.source()), kp, fmt::format("expected a file name, got {}", toml_type_name(e)));
        const fs::path f = fs::path(s->get()).is_absolute() ? fs::path(s->get()) : file.dir / s->get();
        std::error_code ec;
        if (!fs::is_regular_file(f, ec))
          fail(pos_of(file, e.source()), kp, fmt::format("cannot read model file {}", f.string()));
        for (auto& [name, m] : load_model_file(f, f.string())) {
          if (auto it = site.models.find(name); it != site.models.end())
            fail(m.pos, fmt::format("model '{}'", name),
                 fmt::format("is defined twice (first at {})", it->second.pos.str()));
          site.models.emplace(name, std::move(m));
        }
      }
    }
  }
  if (site.name.empty()) site.name = path.stem().string();
  // [[model]] in the site file itself
  {
    std::map<std::string, Model> own;
    read_models(file, top, own, false);
    for (auto& [name, m] : own) {
      if (auto it = site.models.find(name); it != site.models.end())
        fail(m.pos, "model", fmt::format("model '{}' is defined twice (first at {})", name, it->second.pos.str()));
      site.models.emplace(name, std::move(m));
    }
  }
  // The catalog, one directory at a time and only while a model is still missing:
  // [site] catalog first (iot-sim --site-out writes it), then the search order.
  std::optional<std::vector<fs::path>> catalog;
  std::size_t catalog_next = 0;
  const auto need_catalog = [&](const std::string& name) {
    if (!catalog) {
      catalog = catalog_dirs(file.dir, options);
      if (!site.catalog.empty()) catalog->insert(catalog->begin(), site.catalog);
    }
    while (!site.models.count(name) && catalog_next < catalog->size()) {
      // The first directory models came from is the one --site-out names.
      if (site.catalog.empty()) site.catalog = (*catalog)[catalog_next];
      load_catalog_dir((*catalog)[catalog_next++], site.models);
    }
  };
  // [defaults]
  PortSettings defaults;
  if (const toml::table* t = top.subtable("defaults")) {
    Reader r(file, *t, "defaults");
    r.check_keys(k_setting_keys);
    read_settings(r, defaults);
  }
  // [[port]]
  std::map<std::string, SourcePos> device_names; // unique across the site
  std::uint64_t next_sn = 26010100000001;        // meters without `sn`: consecutive from here
  std::vector<std::pair<std::pair<std::uint64_t, std::uint64_t>, std::string>> sn_ranges;
  const auto ports = top.tables("port");
  for (std::size_t i = 0; i < ports.size(); ++i) {
    throw_if_stop_requested(); // a site of thousands of devices takes a while: SIGINT/SIGTERM end it
    Reader r(file, *ports[i], fmt::format("port[{}]", i));
    if (const toml::node* u = r.get("url"); u && u->is_string() && is_mqtt_url(u->as_string()->get())) {
      Port port;
      port.pos = r.pos();
      port.url = u->as_string()->get();
      port.mqtt = read_mqtt_settings(r, port.url);
      port.name = port_name(r, port.url, site.ports);
      const auto devices = r.tables("device");
      for (std::size_t j = 0; j < devices.size(); ++j) {
        Reader dr(file, *devices[j], fmt::format("port[{}].device[{}]", i, j));
        Device d = read_meter(dr, site.models, need_catalog, next_sn);
        // Serial numbers are client ids and topic levels: unique in the site.
        const std::uint64_t lo = d.meter->first_sn, hi = lo + d.meter->count;
        for (const auto& [range, where] : sn_ranges)
          if (lo < range.second && range.first < hi)
            dr.fail_at(dr.has("sn") ? "sn" : "name",
                       fmt::format("serial numbers {}-{} overlap those of {}", lo, hi - 1, where));
        sn_ranges.emplace_back(std::make_pair(lo, hi), fmt::format("'{}' (at {})", d.name, d.pos.str()));
        for (const auto& id : d.meters()) {
          if (auto it = device_names.find(id.name); it != device_names.end())
            dr.fail_at("name", fmt::format("device name '{}' is used twice (first at {})", id.name, it->second.str()));
          device_names.emplace(id.name, d.pos);
        }
        port.devices.push_back(std::move(d));
      }
      site.ports.push_back(std::move(port));
      continue;
    }
    std::vector<std::string_view> keys{"name", "url", "description", "device"};
    keys.insert(keys.end(), k_setting_keys.begin(), k_setting_keys.end());
    r.check_keys(keys);
    Port port;
    port.pos = r.pos();
    port.url = r.required_str("url");
    try {
      port.target = transport::parse_target(port.url);
    } catch (const Error& e) {
      r.fail_at("url", e.what());
    }
    port.name = port_name(r, port.url, site.ports);
    // One serial line, one master: two ports on one device would garble each other's frames.
    for (const auto& other : site.ports)
      if (same_serial_device(other.target, port.target))
        r.fail_at("url", fmt::format("serial device {} is already used by port '{}' (at {})", port.target.device,
                                     other.name, other.pos.str()));
    port.settings = defaults;
    read_settings(r, port.settings);
    // RTS: the url's rts= wins; else the port's (or [defaults]') rts setting.
    if (port.url.find("rts=") == std::string::npos)
      port.target.serial.rts = port.settings.rts;
    else
      port.settings.rts = port.target.serial.rts;
    const auto devices = r.tables("device");
    std::map<std::uint8_t, std::pair<std::string, SourcePos>> units; // unique per port only
    for (std::size_t j = 0; j < devices.size(); ++j) {
      Reader dr(file, *devices[j], fmt::format("port[{}].device[{}]", i, j));
      if (j % 64 == 0) throw_if_stop_requested();
      Device d = read_device(dr, site.models, port.settings, need_catalog);
      if (auto it = units.find(d.unit); it != units.end())
        dr.fail_at("unit", fmt::format("unit id {} is already used on this port by '{}' (at {})", d.unit,
                                       it->second.first, it->second.second.str()));
      if (auto it = device_names.find(d.name); it != device_names.end())
        dr.fail_at("name", fmt::format("device name '{}' is used twice (first at {})", d.name, it->second.str()));
      units.emplace(d.unit, std::make_pair(d.name, d.pos));
      device_names.emplace(d.name, d.pos);
      port.devices.push_back(std::move(d));
    }
    site.ports.push_back(std::move(port));
  }
  check_links(site);
  read_links(file, top, site);
  return site;
}

} // namespace

Site parse_site(std::string_view text, const fs::path& file, const LoadOptions& options) {
  return parse(text, file, options);
}

Site load_site(const fs::path& path, const LoadOptions& options) {
  const std::string text = read_file(path, path.string());
  return parse(text, path, options);
}

std::map<std::string, Model> load_catalog(const std::vector<fs::path>& dirs) {
  std::map<std::string, Model> models;
  for (const auto& dir : dirs)
    load_catalog_dir(dir, models);
  return models;
}

std::map<std::string, Model> load_models(const fs::path& path) { return load_model_file(path, path.string()); }

} // namespace iot::config
