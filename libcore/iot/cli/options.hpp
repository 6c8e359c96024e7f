#pragma once
// Option types several tools share, declared and parsed here only: durations,
// sizes, MQTT QoS and the value-format options (value type, word order). A tool
// keeps the text CLI11 gives it and converts it with these functions, so every
// tool accepts the same forms and says the same thing about a bad one (a usage
// error: exit status 2).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iot::cli {

// ---- durations -----------------------------------------------------------

// A duration option: "500ms", "1s", "1.5s", "2m", "6h", "1d", "250us", a bare
// number of seconds (core/time.hpp, parse_duration). Throws usage_error
// "<option>: not a duration: '<text>' (e.g. 500ms, 1s, 6h)".
std::chrono::microseconds duration_option(std::string_view text, std::string_view option);

// The same, in the unit the caller keeps (truncated towards zero).
template <typename Duration> Duration duration_option_as(std::string_view text, std::string_view option) {
  return std::chrono::duration_cast<Duration>(duration_option(text, option));
}

// ---- sizes ---------------------------------------------------------------

// "4096", "64K", "16M", "1G" (powers of 1024; a trailing "B" or "iB" is allowed).
// Throws usage_error "bad size '<text>' (use e.g. 4096, 64K, 16M, 1G)".
std::uint64_t parse_size(const std::string& text);

// ---- MQTT QoS ------------------------------------------------------------

// Declares a QoS option (e.g. "-q,--qos") on `cmd`: 0, 1 or 2, offered in
// completions; CLI11 refuses anything else as a usage error.
CLI::Option* add_qos(CLI::App* cmd, const std::string& names, int& qos, const std::string& help);

// Throws usage_error "<option> must be 0, 1 or 2" unless `qos` is one of them
// (for QoS values that reach a tool without add_qos' check).
void check_qos(int qos, std::string_view option);

// ---- value format --------------------------------------------------------

// The value types and word orders offered in completions. The options accept
// every form the values parsers accept (any case, aliases such as "big" and
// "little"); those parsers (values::value_type_from, values::word_order_from)
// check them, with the same message in every tool.
const std::vector<std::string>& value_type_names();
const std::vector<std::string>& word_order_names();

// Declares "-t,--type" (value type) and "-o,--order" (word order) on `cmd`.
CLI::Option* add_value_type(CLI::App* cmd, std::string& type, const std::string& help);
CLI::Option* add_word_order(CLI::App* cmd, std::string& order, const std::string& help);

} // namespace iot::cli
