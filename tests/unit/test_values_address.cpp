#include <catch2/catch.hpp>

#include "iot/core/error.hpp"
#include "iot/values/address.hpp"

using namespace iot::values;

TEST_CASE("iot::values::parse_ref") {
  struct Case {
    const char* text;
    Table table;
    std::uint16_t addr;
  };
  for (const auto& c : {
           Case{"hr:0", Table::holding_register, 0},
           Case{"ir:10", Table::input_register, 10},
           Case{"coil:5", Table::coil, 5},
           Case{"di:3", Table::discrete_input, 3},
           Case{"HR:0x10", Table::holding_register, 16},
           Case{"holding:65535", Table::holding_register, 65535},
           Case{"40001", Table::holding_register, 0},
           Case{"49999", Table::holding_register, 9998},
           Case{"400001", Table::holding_register, 0},
           Case{"465536", Table::holding_register, 65535},
           Case{"300011", Table::input_register, 10},
           Case{"30011", Table::input_register, 10},
           Case{"10001", Table::discrete_input, 0},
           Case{"1", Table::coil, 0},
           Case{"00017", Table::coil, 16},
           Case{"%MW0", Table::holding_register, 0},
           Case{"%mw100", Table::holding_register, 100},
           Case{"%IW3", Table::input_register, 3},
           Case{"%M5", Table::coil, 5},
           Case{"%Q6", Table::coil, 6},
           Case{"%I2", Table::discrete_input, 2},
           Case{" hr:7 ", Table::holding_register, 7},
       }) {
    INFO(c.text);
    const Ref r = parse_ref(c.text);
    CHECK(r.table == c.table);
    CHECK(r.addr == c.addr);
  }
}

TEST_CASE("iot::values::parse_ref errors") {
  CHECK_THROWS_WITH(parse_ref("hr:65536"),
                    "invalid address 'hr:65536': the address must be a number from 0 to 65535 (zero-based)");
  CHECK_THROWS_WITH(parse_ref("xx:1"), "invalid address 'xx:1': unknown table 'xx' (expected hr, ir, coil or di)");
  CHECK_THROWS_WITH(parse_ref("40000"),
                    "invalid address '40000': 5-digit entity numbers run from x0001 to x9999 (1-based)");
  CHECK_THROWS_WITH(parse_ref("465537"),
                    "invalid address '465537': entity numbers are 1-based and at most 65536 (e.g. 465536)");
  CHECK_THROWS_WITH(parse_ref("50001"), Catch::Contains("entity numbers start with 0 (coil)"));
  CHECK_THROWS_WITH(parse_ref("4000001"), Catch::Contains("at most 6 digits"));
  CHECK_THROWS_WITH(parse_ref("hr:0:10"), "invalid address 'hr:0:10': a count is not allowed here");
  CHECK_THROWS_WITH(parse_ref(""), Catch::Contains("empty"));
  CHECK_THROWS_WITH(parse_ref("abc"), Catch::Contains("expected hr:N"));
  CHECK_THROWS_WITH(parse_ref("%XW1"), Catch::Contains("IEC addresses"));
  CHECK_THROWS_AS(parse_ref("0"), iot::Error);
  CHECK_THROWS_AS(parse_ref("hr:-1"), iot::Error);
}

TEST_CASE("iot::values::parse_range") {
  CHECK(parse_range("hr:0:10") == Range{Table::holding_register, 0, 10});
  CHECK(parse_range("hr:5") == Range{Table::holding_register, 5, 1});
  CHECK(parse_range("40001:10") == Range{Table::holding_register, 0, 10});
  CHECK(parse_range("%MW4:2") == Range{Table::holding_register, 4, 2});
  CHECK(parse_range("hr:65535:1") == Range{Table::holding_register, 65535, 1});
  CHECK(parse_range("coil:0:65536").count == 65536);
  CHECK_THROWS_WITH(parse_range("hr:65535:2"),
                    "invalid address 'hr:65535:2': 2 items from address 65535 run past 65535");
  CHECK_THROWS_WITH(parse_range("hr:0:0"), "invalid address 'hr:0:0': the count must be a number from 1 to 65536");
}

TEST_CASE("iot::values::address to_string") {
  CHECK(to_string(Ref{Table::holding_register, 0}) == "hr:0");
  CHECK(to_string(parse_ref("300011")) == "ir:10");
  CHECK(to_string(parse_ref("10001")) == "di:0");
  CHECK(to_string(parse_ref("1")) == "coil:0");
  CHECK(to_string(parse_range("hr:0:10")) == "hr:0:10");
  CHECK(to_string(parse_range("40002")) == "hr:1");
  CHECK(is_register_table(Table::input_register));
  CHECK_FALSE(is_writable_table(Table::input_register));
  CHECK(parse_table("coils") == Table::coil);
}

TEST_CASE("iot::values::parse_unit_list") {
  using U = std::vector<std::uint8_t>;
  CHECK(parse_unit_list("1") == U{1});
  CHECK(parse_unit_list("1,3,5-9") == U{1, 3, 5, 6, 7, 8, 9});
  CHECK(parse_unit_list(" 9 , 2-3,2 ") == U{2, 3, 9});
  CHECK(parse_unit_list("247") == U{247});
  CHECK(parse_unit_list("0,255", true) == U{0, 255});
  CHECK_THROWS_WITH(parse_unit_list("0"), Catch::Contains("unit id 0 is the broadcast address"));
  CHECK_THROWS_WITH(parse_unit_list("248"), Catch::Contains("unit id 248 is reserved"));
  CHECK_THROWS_WITH(parse_unit_list("1,,2"), "invalid unit list '1,,2': empty item");
  CHECK_THROWS_WITH(parse_unit_list("9-5"), "invalid unit list '9-5': range 9-5 runs backwards");
  CHECK_THROWS_WITH(parse_unit_list("x"), "invalid unit list 'x': 'x' is not a unit id (0-255)");
  CHECK_THROWS_AS(parse_unit_list("256", true), iot::Error);
  CHECK_THROWS_AS(parse_unit_list(""), iot::Error);
}
