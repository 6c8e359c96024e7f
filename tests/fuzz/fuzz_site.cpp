// Feeds arbitrary bytes to the site-file loader as the text of a site file.
// Errors (iot::Error) are the expected outcome for most inputs; anything else —
// a crash, a sanitizer report, another exception type — is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "iot/config/site.hpp"
#include "iot/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    // A name in a directory without models/ keeps the fuzzer off the real catalog;
    // relative model and replay paths then simply fail to resolve.
    (void)iot::config::parse_site(text, "/nonexistent-iot-fuzz/site.toml");
  } catch (const iot::Error&) {
  }
  return 0;
}
