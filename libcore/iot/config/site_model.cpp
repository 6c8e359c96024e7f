// The small member functions of the site structures (the loader is in site.cpp).
#include <fmt/format.h>

#include "iot/config/names.hpp"
#include "iot/config/site.hpp"

namespace iot::config {

std::string SourcePos::str() const {
  if (line == 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string_view alarm_type_name(AlarmRule::Type type) {
  static constexpr auto k_names = enum_names<AlarmRule::Type>("HH", "LL", "HL", "WINDOW");
  return k_names.name(type);
}

std::string_view generator_kind_name(GeneratorSpec::Kind kind) { return k_generator_kinds.name(kind); }

std::string_view fault_kind_name(FaultSpec::Kind kind) { return k_fault_kinds.name(kind); }

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
