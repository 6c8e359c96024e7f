#include "iot/sim/command.hpp"

#include <simdjson.h>

#include "iot/core/error.hpp"
#include "iot/core/time.hpp"
#include "iot/record/record.hpp"
#include "iot/sim/fault.hpp"
#include "iot/values/address.hpp"

namespace iot::sim {

namespace {

config::Duration duration_field(simdjson::dom::object obj, std::string_view key) {
  auto el = obj[key];
  if (el.error()) return config::Duration{0};
  if (el.is_string()) {
    auto d = parse_duration(std::string_view(el.get_string().value()));
    if (!d) throw data_error(std::string(key) + ": not a duration: " + std::string(el.get_string().value()));
    return *d;
  }
  double s = 0;
  if (el.get_double().get(s) == simdjson::SUCCESS || el.is_int64()) {
    if (el.is_int64()) s = static_cast<double>(el.get_int64().value());
    if (s < 0) throw data_error(std::string(key) + ": negative duration");
    return config::Duration(static_cast<std::int64_t>(s * 1e6));
  }
  throw data_error(std::string(key) + ": not a duration");
}

std::optional<double> number_field(simdjson::dom::object obj, std::string_view key) {
  auto el = obj[key];
  if (el.error()) return std::nullopt;
  if (el.is_int64()) return static_cast<double>(el.get_int64().value());
  if (el.is_uint64()) return static_cast<double>(el.get_uint64().value());
  if (el.is_double()) return el.get_double().value();
  throw data_error(std::string(key) + ": not a number");
}

std::string string_field(simdjson::dom::object obj, std::string_view key) {
  auto el = obj[key];
  if (el.error()) return {};
  if (!el.is_string()) throw data_error(std::string(key) + ": not a string");
  return std::string(el.get_string().value());
}

} // namespace

Command parse_command(std::string_view line) {
  RecordParser parser;
  simdjson::dom::object obj;
  try {
    obj = parser.parse_copy(line, 0);
  } catch (const Error&) {
    throw data_error("not a JSON object");
  }
  Command c;
  c.name = string_field(obj, "cmd");
  if (c.name.empty()) throw data_error("no \"cmd\"");
  if (c.name == "fault")
    c.op = Command::Op::fault;
  else if (c.name == "clear")
    c.op = Command::Op::clear;
  else if (c.name == "set")
    c.op = Command::Op::set;
  else if (c.name == "get")
    c.op = Command::Op::get;
  else if (c.name == "stop")
    c.op = Command::Op::stop;
  else
    throw data_error("unknown cmd \"" + c.name + "\" (fault, clear, set, get, stop)");
  c.device = string_field(obj, fields::device);
  c.port = string_field(obj, fields::port);
  c.point = string_field(obj, fields::point);
  if (auto el = obj[fields::id]; !el.error())
    c.id = el.is_string() ? std::string(el.get_string().value()) : simdjson::to_string(el.value());
  if (auto u = number_field(obj, "unit")) {
    if (*u < 0 || *u > 255 || *u != static_cast<int>(*u)) throw data_error("unit: not a unit id 0-255");
    c.unit = static_cast<std::uint8_t>(*u);
  }
  if (c.unit && c.port.empty() && c.device.empty()) throw data_error("unit needs \"port\"");
  switch (c.op) {
  case Command::Op::fault: {
    const auto kind = string_field(obj, "kind");
    auto k = parse_fault_kind(kind);
    if (!k) throw data_error("kind: unknown fault kind \"" + kind + "\"");
    auto& f = c.fault;
    f.kind = *k;
    if (auto v = number_field(obj, "code")) {
      if (*v < 1 || *v > 255) throw data_error("code: not an exception code 1-255");
      f.code = static_cast<std::uint8_t>(*v);
    }
    if (auto v = number_field(obj, "ms_per_byte")) f.ms_per_byte = *v;
    if (auto v = number_field(obj, "bytes")) f.bytes = static_cast<std::uint32_t>(std::max(0.0, *v));
    if (auto v = number_field(obj, "every")) f.every = static_cast<std::uint32_t>(std::max(1.0, *v));
    if (auto v = number_field(obj, "probability")) f.probability = *v;
    f.delay = duration_field(obj, "delay");
    f.offline = duration_field(obj, "offline");
    f.online = duration_field(obj, "online");
    if (auto el = obj["after"]; !el.error()) f.after = el.is_bool() && el.get_bool().value();
    if (auto a = string_field(obj, "addr"); !a.empty()) {
      try {
        f.addr = values::parse_range(a);
      } catch (const Error& e) {
        throw data_error(std::string("addr: ") + e.what());
      }
    }
    if (f.kind == config::FaultSpec::Kind::flap && f.offline.count() == 0)
      throw data_error("flap needs \"offline\" (and \"online\")");
    break;
  }
  case Command::Op::clear:
    if (auto k = string_field(obj, "kind"); !k.empty()) {
      c.clear_kind = parse_fault_kind(k);
      if (!c.clear_kind) throw data_error("kind: unknown fault kind \"" + k + "\"");
    }
    break;
  case Command::Op::set: {
    if (c.point.empty()) throw data_error("set needs \"point\"");
    auto el = obj[fields::value];
    if (el.error()) throw data_error("set needs \"value\"");
    if (el.is_null())
      c.value = std::monostate{};
    else if (el.is_bool())
      c.value = el.get_bool().value();
    else if (el.is_string())
      c.value = std::string(el.get_string().value());
    else if (el.is_int64())
      c.value = el.get_int64().value();
    else if (el.is_uint64())
      c.value = el.get_uint64().value();
    else if (el.is_double())
      c.value = el.get_double().value();
    else
      throw data_error("value: not a number, boolean, string or null");
    [[fallthrough]];
  }
  case Command::Op::get:
    if (c.point.empty()) throw data_error(c.name + " needs \"point\"");
    if (c.device.empty() && !c.unit) throw data_error(c.name + " needs \"device\" (or \"port\" and \"unit\")");
    break;
  case Command::Op::stop: break;
  }
  return c;
}

} // namespace iot::sim
