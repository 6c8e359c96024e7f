#include "iot/cli/options.hpp"

#include <fmt/format.h>

#include <map>

#include "iot/cli/cli.hpp"
#include "iot/core/error.hpp"
#include "iot/core/time.hpp"

namespace iot::cli {

std::chrono::microseconds duration_option(std::string_view text, std::string_view option) {
  auto d = parse_duration(text);
  if (!d) throw usage_error(fmt::format("{}: not a duration: '{}' (e.g. 500ms, 1s, 6h)", option, text));
  return *d;
}

std::uint64_t parse_size(const std::string& text) {
  std::size_t i = 0;
  std::uint64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    v = v * 10 + static_cast<std::uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) throw usage_error("bad size '" + text + "' (use e.g. 4096, 64K, 16M, 1G)");
  std::string unit = text.substr(i);
  if (unit.size() >= 2 && unit.substr(unit.size() - 2) == "iB")
    unit.resize(unit.size() - 2);
  else if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b'))
    unit.pop_back();
  if (unit.empty()) return v;
  if (unit == "K" || unit == "k") return v << 10;
  if (unit == "M" || unit == "m") return v << 20;
  if (unit == "G" || unit == "g") return v << 30;
  throw usage_error("bad size '" + text + "' (use e.g. 4096, 64K, 16M, 1G)");
}

CLI::Option* add_qos(CLI::App* cmd, const std::string& names, int& qos, const std::string& help) {
  return choices(cmd->add_option(names, qos, help)
                     ->capture_default_str()
                     ->transform(CLI::CheckedTransformer(std::map<std::string, int>{{"0", 0}, {"1", 1}, {"2", 2}})),
                 {"0", "1", "2"});
}

void check_qos(int qos, std::string_view option) {
  if (qos < 0 || qos > 2) throw usage_error(fmt::format("{} must be 0, 1 or 2", option));
}

const std::vector<std::string>& value_type_names() {
  static const std::vector<std::string> names{"u16", "i16", "u32",   "i32",   "u64",    "i64", "f16",
                                              "f32", "f64", "bcd16", "bcd32", "string", "bit"};
  return names;
}

const std::vector<std::string>& word_order_names() {
  static const std::vector<std::string> names{"ABCD", "CDAB", "BADC", "DCBA"};
  return names;
}

CLI::Option* add_value_type(CLI::App* cmd, std::string& type, const std::string& help) {
  return completion_values(cmd->add_option("-t,--type", type, help)->capture_default_str(), value_type_names());
}

CLI::Option* add_word_order(CLI::App* cmd, std::string& order, const std::string& help) {
  return completion_values(cmd->add_option("-o,--order", order, help)->capture_default_str(), word_order_names());
}

} // namespace iot::cli
