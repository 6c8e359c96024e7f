#pragma once
// Hex text to bytes, as field engineers paste it: "01 03 00 00", "0x01,0x03",
// "01:03:00", "010300", upper or lower case.
#include <cstdint>
#include <string>
#include <string_view>

namespace iot {

struct HexResult {
  std::size_t size = 0;         // bytes written to the output
  std::string error;            // empty when the text was valid hex
  std::size_t error_column = 0; // 1-based column of the first bad character
};

// Parses `text` into `out` (room for `capacity` bytes). Separators between bytes
// may be spaces, tabs, ':', ',', '-', ';' or none; each byte may carry a "0x"
// prefix; a single digit standing alone between separators is a byte.
HexResult parse_hex(std::string_view text, std::uint8_t* out, std::size_t capacity);

// Appends `size` bytes as lower-case hex without separators.
void append_hex(std::string& out, const std::uint8_t* data, std::size_t size);

} // namespace iot
