#include <catch2/catch.hpp>

#include "iot/core/names.hpp"

namespace {
enum class Colour { red, green, blue };
constexpr auto k_colours = iot::enum_names<Colour>("red", "green", "blue");
} // namespace

TEST_CASE("iot::NameTable names and finds the values of an enumeration") {
  CHECK(k_colours.name(Colour::red) == "red");
  CHECK(k_colours.name(Colour::blue) == "blue");
  CHECK(k_colours.find("green") == Colour::green);
  CHECK_FALSE(k_colours.find("Green")); // exact: callers fold case where a format allows it
  CHECK_FALSE(k_colours.find(""));
  const auto names = k_colours.names();
  CHECK(std::vector<std::string_view>(names.begin(), names.end()) ==
        std::vector<std::string_view>{"red", "green", "blue"});
  // A value outside the table (a cast integer) gets the stand-in, never a wrong name.
  CHECK(k_colours.name(static_cast<Colour>(7)) == "?");
  CHECK(k_colours.name(static_cast<Colour>(7), "none") == "none");
}

TEST_CASE("iot::NameTable with values given, not in order") {
  constexpr iot::NameTable<int, 3> codes{{{{"ten", 10}, {"one", 1}, {"seven", 7}}}};
  CHECK(codes.name(7) == "seven");
  CHECK(codes.find("one") == 1);
  CHECK(codes.name(2) == "?");
  static_assert(codes.find("ten") == 10, "usable at compile time");
}
