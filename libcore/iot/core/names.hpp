#pragma once
// Enumerations written as text. One table of (name, value) pairs serves both directions, so
// a value's name and the parsing of that name cannot drift apart, and a new value is added
// in one place instead of in a switch and a parser.
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace iot {

template <typename E> struct Named {
  std::string_view name;
  E value;
};

template <typename E, std::size_t N> struct NameTable {
  std::array<Named<E>, N> entries;

  // The name of `value`; `missing` when the table lacks it.
  constexpr std::string_view name(E value, std::string_view missing = "?") const {
    for (const auto& e : entries)
      if (e.value == value) return e.name;
    return missing;
  }
  // The value named `text` (compared exactly), if any.
  constexpr std::optional<E> find(std::string_view text) const {
    for (const auto& e : entries)
      if (e.name == text) return e.value;
    return std::nullopt;
  }
  // Every name, in table order (for messages listing what is expected).
  constexpr std::array<std::string_view, N> names() const {
    std::array<std::string_view, N> out{};
    for (std::size_t i = 0; i < N; ++i)
      out[i] = entries[i].name;
    return out;
  }
};

// The table of an enumeration whose values are 0, 1, 2, ... in declaration order (no values
// given): `names` lists their names in that order, which keeps short tables on one line.
template <typename E, typename... Names> constexpr NameTable<E, sizeof...(Names)> enum_names(Names... names) {
  NameTable<E, sizeof...(Names)> table{};
  std::size_t i = 0;
  ((table.entries[i] = {std::string_view(names), static_cast<E>(i)}, ++i), ...);
  return table;
}

} // namespace iot
