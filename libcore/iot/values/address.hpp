#pragma once
// Modbus data-model addresses: the four tables, a zero-based address inside one
// (what goes on the wire, Modbus Application Protocol V1.1b3 §4.4), parsing of the
// notations people write and printing in the one canonical form "hr:0".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iot::values {

enum class Table { coil, discrete_input, input_register, holding_register };

// A zero-based address in one table.
struct Ref {
  Table table = Table::holding_register;
  std::uint16_t addr = 0;
  friend bool operator==(const Ref&, const Ref&) = default;
};

// A block of `count` consecutive items from `addr` (addr + count <= 65536).
struct Range {
  Table table = Table::holding_register;
  std::uint16_t addr = 0;
  std::uint32_t count = 1;
  friend bool operator==(const Range&, const Range&) = default;
  Ref ref() const { return {table, addr}; }
  std::uint32_t end() const { return addr + count; } // one past the last
};

std::string_view table_name(Table table); // "coil", "di", "ir", "hr"
// "coil"|"coils"|"co"|"c", "di"|"discrete"|"discrete_input"|"inputs", "ir"|"input"|
// "input_register", "hr"|"holding"|"holding_register"; case-insensitive.
std::optional<Table> parse_table(std::string_view text);
bool is_register_table(Table table); // ir, hr
bool is_writable_table(Table table); // coil, hr

// Parses one address:
//   "hr:0" "ir:10" "coil:5" "di:3"    table and zero-based address (decimal or 0x hex)
//   "40001" "400001" "300011" "10001" 1-based entity numbers: 0xxxx coils, 1xxxx discrete
//   "1" ... "9999"                    inputs, 3xxxx input registers, 4xxxx holding registers
//                                      (5 digits: 1-9999; 6 digits: 1-65536; 1-4 digits: coil)
//   "%MW0" "%IW3" "%M5" "%I2" "%Q1"   IEC 61131-3 style: %MW holding, %IW input register,
//                                      %M and %Q coil, %I discrete input (zero-based)
// Throws iot::Error(usage) with a message saying what is wrong.
Ref parse_ref(std::string_view text);
// As parse_ref, with an optional count: "hr:0:10", "40001:10" (count 1 when absent).
// The block must fit inside 0-65535.
Range parse_range(std::string_view text);

std::string to_string(Ref ref);     // "hr:0"
std::string to_string(Range range); // "hr:0" when count is 1, else "hr:0:10"

// Unit-id lists: "1", "1,3,5-9", "  2 , 4-5 ". Ids 1-247; 0 and 248-255 only with
// allow_reserved (Modbus over Serial Line V1.02 §2.2). Result sorted, no duplicates.
// Throws iot::Error(usage).
std::vector<std::uint8_t> parse_unit_list(std::string_view text, bool allow_reserved = false);

} // namespace iot::values
