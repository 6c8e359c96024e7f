#pragma once
// Small byte codecs the MQTT bridge needs: base64 (RFC 4648 §4) for payloads
// that are not text, CRC-32 for spool records, UTF-8 validation.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iot::mqtt {

// Standard alphabet with '=' padding (RFC 4648 §4).
std::string base64_encode(std::string_view bytes);
// Decodes standard base64; whitespace is not allowed; padding is optional.
// nullopt when the text is not base64.
std::optional<std::string> base64_decode(std::string_view text);

// CRC-32 (ISO-HDLC, the zlib/PNG polynomial); check value of "123456789" is 0xCBF43926.
std::uint32_t crc32(std::string_view bytes);

// Whether `bytes` is well-formed UTF-8 (RFC 3629).
bool valid_utf8(std::string_view bytes);

} // namespace iot::mqtt
