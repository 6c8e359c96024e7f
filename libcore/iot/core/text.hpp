#pragma once
// Small text helpers shared by the parsers of URLs, addresses, types and site files.
#include <string>
#include <string_view>

namespace iot {

// ASCII lower case of `s` (names and keywords are ASCII; other bytes pass through).
std::string to_lower(std::string_view s);

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

// `s` without leading and trailing white space (std::isspace).
std::string_view trim(std::string_view s);

} // namespace iot
