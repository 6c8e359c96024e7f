#pragma once
// Time stamps and durations as the record format and the command lines write them.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iot {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::microseconds>;

// Current wall-clock time.
TimePoint now();

// RFC 3339 UTC with milliseconds: "2026-11-21T08:00:00.123Z" (24 characters).
// Writes exactly 24 bytes to `out`; cheap when called many times within one second.
void format_ts(TimePoint t, char* out);
std::string format_ts(TimePoint t);

// Parses RFC 3339 ("2026-11-21T08:00:00Z", "…00.123Z", "…00+08:00", a space for T)
// and the shorter "2026-11-21" (midnight UTC). nullopt when it is none of these.
std::optional<TimePoint> parse_ts(std::string_view text);

// Parses a duration such as "500ms", "1s", "1.5s", "2m", "6h", "1d", "250us"; a
// bare number means seconds. nullopt when malformed or negative.
std::optional<std::chrono::microseconds> parse_duration(std::string_view text);

// Milliseconds since the Unix epoch.
inline std::int64_t epoch_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint from_epoch_us(std::int64_t us) { return TimePoint(std::chrono::microseconds(us)); }

} // namespace iot
