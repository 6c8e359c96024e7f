#include "iot/values/address.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "iot/core/error.hpp"
#include "iot/core/text.hpp"

namespace iot::values {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Decimal or 0x-hex number; nullopt when malformed or above `max`.
std::optional<std::uint64_t> parse_number(std::string_view s, std::uint64_t max) {
  s = trim(s);
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw usage_error(fmt::format("invalid address '{}': {}", text, why));
}

constexpr std::string_view k_forms =
    "expected hr:N, ir:N, coil:N or di:N (zero-based), an entity number such as 40001, 300011 or 10001, "
    "or %MWn";

Ref parse_entity(std::string_view text, std::string_view digits) {
  // 1-4 digits: a coil number without its leading 0 ("1" = coil 0).
  // 5 digits: table digit + 1-based 0001-9999; 6 digits: table digit + 1-based 00001-65536.
  Table table = Table::coil;
  std::string_view number = digits;
  if (digits.size() >= 5) {
    if (digits.size() > 6) bad(text, "entity numbers have at most 6 digits (e.g. 400001)");
    switch (digits[0]) {
    case '0': table = Table::coil; break;
    case '1': table = Table::discrete_input; break;
    case '3': table = Table::input_register; break;
    case '4': table = Table::holding_register; break;
    default:
      bad(text, fmt::format("entity numbers start with 0 (coil), 1 (discrete input), 3 (input register) or 4 "
                            "(holding register), not {}",
                            digits[0]));
    }
    number = digits.substr(1);
  }
  const auto n = parse_number(number, 65536);
  if (!n || *n == 0)
    bad(text, digits.size() == 5 ? "5-digit entity numbers run from x0001 to x9999 (1-based)"
                                 : "entity numbers are 1-based and at most 65536 (e.g. 465536)");
  return {table, static_cast<std::uint16_t>(*n - 1)};
}

Ref parse_iec(std::string_view text, std::string_view body) {
  // %MW, %IW (words) and %M, %Q, %I (bits), zero-based.
  const std::string b = to_lower(body);
  Table table;
  std::size_t skip;
  if (b.rfind("mw", 0) == 0)
    table = Table::holding_register, skip = 2;
  else if (b.rfind("iw", 0) == 0)
    table = Table::input_register, skip = 2;
  else if (b.rfind("qx", 0) == 0 || b.rfind("mx", 0) == 0)
    table = Table::coil, skip = 2;
  else if (b.rfind("ix", 0) == 0)
    table = Table::discrete_input, skip = 2;
  else if (b.rfind("m", 0) == 0 || b.rfind("q", 0) == 0)
    table = Table::coil, skip = 1;
  else if (b.rfind("i", 0) == 0)
    table = Table::discrete_input, skip = 1;
  else
    bad(text, "IEC addresses are %MWn, %IWn, %Mn, %Qn or %In");
  const auto n = parse_number(body.substr(skip), 65535);
  if (!n) bad(text, "the address after the IEC prefix must be a number from 0 to 65535");
  return {table, static_cast<std::uint16_t>(*n)};
}

} // namespace

std::string_view table_name(Table table) {
  switch (table) {
  case Table::coil: return "coil";
  case Table::discrete_input: return "di";
  case Table::input_register: return "ir";
  case Table::holding_register: return "hr";
  }
  return "?";
}

std::optional<Table> parse_table(std::string_view text) {
  const std::string t = to_lower(trim(text));
  if (t == "coil" || t == "coils" || t == "co" || t == "c") return Table::coil;
  if (t == "di" || t == "discrete" || t == "discrete_input" || t == "discrete_inputs" || t == "inputs")
    return Table::discrete_input;
  if (t == "ir" || t == "input" || t == "input_register" || t == "input_registers") return Table::input_register;
  if (t == "hr" || t == "holding" || t == "holding_register" || t == "holding_registers")
    return Table::holding_register;
  return std::nullopt;
}

bool is_register_table(Table t) { return t == Table::input_register || t == Table::holding_register; }
bool is_writable_table(Table t) { return t == Table::coil || t == Table::holding_register; }

Ref parse_ref(std::string_view text) {
  const std::string_view t = trim(text);
  if (t.empty()) bad(text, std::string("empty; ") + std::string(k_forms));
  if (t.front() == '%') return parse_iec(text, t.substr(1));
  const auto colon = t.find(':');
  if (colon == std::string_view::npos) {
    if (!all_digits(t)) bad(text, k_forms);
    return parse_entity(text, t);
  }
  if (t.find(':', colon + 1) != std::string_view::npos) bad(text, "a count is not allowed here");
  const auto table = parse_table(t.substr(0, colon));
  if (!table) bad(text, fmt::format("unknown table '{}' (expected hr, ir, coil or di)", t.substr(0, colon)));
  const auto n = parse_number(t.substr(colon + 1), 65535);
  if (!n) bad(text, "the address must be a number from 0 to 65535 (zero-based)");
  return {*table, static_cast<std::uint16_t>(*n)};
}

Range parse_range(std::string_view text) {
  const std::string_view t = trim(text);
  std::string_view head = t;
  std::optional<std::uint64_t> count;
  // The count is the part after the last colon, when the address itself is complete
  // without it: "hr:0:10" (two colons) or "40001:10" (entity number with one colon).
  const auto last = t.rfind(':');
  if (last != std::string_view::npos) {
    const auto first = t.find(':');
    const bool entity_with_count = first == last && all_digits(t.substr(0, first));
    const bool iec_with_count = first == last && !t.empty() && t.front() == '%';
    if (first != last || entity_with_count || iec_with_count) {
      head = t.substr(0, last);
      count = parse_number(t.substr(last + 1), 65536);
      if (!count || *count == 0) bad(text, "the count must be a number from 1 to 65536");
    }
  }
  const Ref ref = parse_ref(head);
  Range r{ref.table, ref.addr, static_cast<std::uint32_t>(count.value_or(1))};
  if (r.end() > 65536) bad(text, fmt::format("{} items from address {} run past 65535", r.count, r.addr));
  return r;
}

std::string to_string(Ref ref) { return fmt::format("{}:{}", table_name(ref.table), ref.addr); }

std::string to_string(Range r) {
  if (r.count == 1) return to_string(r.ref());
  return fmt::format("{}:{}:{}", table_name(r.table), r.addr, r.count);
}

std::vector<std::uint8_t> parse_unit_list(std::string_view text, bool allow_reserved) {
  std::vector<std::uint8_t> out;
  const auto check = [&](std::string_view part, std::string_view item) -> std::uint8_t {
    const auto n = parse_number(item, 255);
    if (!n) throw usage_error(fmt::format("invalid unit list '{}': '{}' is not a unit id (0-255)", text, part));
    if (!allow_reserved && (*n == 0 || *n > 247))
      throw usage_error(fmt::format("invalid unit list '{}': unit id {} is {} (allowed: 1-247; 0 and 248-255 need "
                                    "--allow-reserved)",
                                    text, *n, *n == 0 ? "the broadcast address" : "reserved"));
    return static_cast<std::uint8_t>(*n);
  };
  std::string_view rest = text;
  if (trim(rest).empty()) throw usage_error("invalid unit list '': expected ids such as 1,3,5-9");
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view part = trim(rest.substr(0, comma));
    if (part.empty()) throw usage_error(fmt::format("invalid unit list '{}': empty item", text));
    const auto dash = part.find('-');
    if (dash == std::string_view::npos) {
      out.push_back(check(part, part));
    } else {
      const std::uint8_t a = check(part, part.substr(0, dash));
      const std::uint8_t b = check(part, part.substr(dash + 1));
      if (b < a) throw usage_error(fmt::format("invalid unit list '{}': range {} runs backwards", text, part));
      for (unsigned u = a; u <= b; ++u)
        out.push_back(static_cast<std::uint8_t>(u));
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace iot::values
