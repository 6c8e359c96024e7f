// The small member functions of the site structures (the loader is in site.cpp).
#include <fmt/format.h>

#include "iot/config/site.hpp"

namespace iot::config {

std::string SourcePos::str() const {
  if (line == 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string_view alarm_type_name(AlarmRule::Type type) {
  switch (type) {
  case AlarmRule::Type::hh: return "HH";
  case AlarmRule::Type::ll: return "LL";
  case AlarmRule::Type::hl: return "HL";
  case AlarmRule::Type::window: return "WINDOW";
  }
  return "?";
}

std::string_view generator_kind_name(GeneratorSpec::Kind kind) {
  switch (kind) {
  case GeneratorSpec::Kind::constant: return "constant";
  case GeneratorSpec::Kind::ramp: return "ramp";
  case GeneratorSpec::Kind::sine: return "sine";
  case GeneratorSpec::Kind::walk: return "walk";
  case GeneratorSpec::Kind::step: return "step";
  case GeneratorSpec::Kind::replay: return "replay";
  case GeneratorSpec::Kind::link: return "link";
  }
  return "?";
}

std::string_view fault_kind_name(FaultSpec::Kind kind) {
  switch (kind) {
  case FaultSpec::Kind::timeout: return "timeout";
  case FaultSpec::Kind::exception: return "exception";
  case FaultSpec::Kind::bad_crc: return "bad_crc";
  case FaultSpec::Kind::truncate: return "truncate";
  case FaultSpec::Kind::split: return "split";
  case FaultSpec::Kind::garbage: return "garbage";
  case FaultSpec::Kind::slow: return "slow";
  case FaultSpec::Kind::delay: return "delay";
  case FaultSpec::Kind::wrong_unit: return "wrong_unit";
  case FaultSpec::Kind::wrong_tid: return "wrong_tid";
  case FaultSpec::Kind::drop: return "drop";
  case FaultSpec::Kind::flap: return "flap";
  case FaultSpec::Kind::busy: return "busy";
  }
  return "?";
}

std::uint16_t Point::count() const { return values::register_count(format); }

const Point* Device::find_point(std::string_view n) const {
  for (const auto& p : points)
    if (p.name == n) return &p;
  return nullptr;
}

std::vector<MeterId> Device::meters() const {
  std::vector<MeterId> out;
  if (!meter) return out;
  out.reserve(meter->count);
  const bool pattern = name.find("{n") != std::string::npos;
  for (std::uint32_t i = 0; i < meter->count; ++i)
    out.push_back(
        {pattern ? expand_name(name, i + 1) : name, fmt::format("{:0{}}", meter->first_sn + i, meter->sn_digits)});
  return out;
}

std::uint16_t Device::effective_max_read(const PortSettings& port) const {
  if (max_read) return *max_read;
  if (model_max_read) return *model_max_read;
  return port.max_read;
}

const Device* Port::find_device(std::uint8_t u) const {
  for (const auto& d : devices)
    if (d.unit == u) return &d;
  return nullptr;
}

const Port* Site::find_port(std::string_view n) const {
  for (const auto& p : ports)
    if (p.name == n) return &p;
  return nullptr;
}

const Device* Site::find_device(std::string_view n, const Port** port) const {
  for (const auto& p : ports)
    for (const auto& d : p.devices)
      if (d.name == n) {
        if (port) *port = &p;
        return &d;
      }
  return nullptr;
}

std::string expand_name(std::string_view pattern, std::uint32_t n) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view spec = pattern.substr(i + 1, close - i - 1);
        std::uint32_t v = n;
        std::string_view rest;
        if (spec.rfind("n0", 0) == 0) {
          v = n - 1;
          rest = spec.substr(2);
        } else if (spec.rfind("n", 0) == 0) {
          rest = spec.substr(1);
        } else {
          out.push_back(pattern[i]);
          continue;
        }
        if (rest.empty()) {
          out += std::to_string(v);
          i = close;
          continue;
        }
        if (rest.size() >= 2 && rest[0] == ':' && rest[1] == '0') {
          int width = 0;
          for (char c : rest.substr(2)) {
            if (c < '0' || c > '9') {
              width = -1;
              break;
            }
            width = width * 10 + (c - '0');
          }
          if (width >= 0 && width < 20) {
            std::string digits = std::to_string(v);
            if (digits.size() < static_cast<std::size_t>(width))
              digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
            out += digits;
            i = close;
            continue;
          }
        }
      }
    }
    out.push_back(pattern[i]);
  }
  return out;
}

} // namespace iot::config
