#pragma once
// The time zone in which charts, reports and CSV show times (--tz). Records
// always carry UTC; people at a plant in UTC+8 read local time. UTC unless
// told otherwise: "local" is the system's zone (TZ, else /etc/localtime), and
// an IANA name ("Asia/Shanghai") is looked up in the zoneinfo database.
#include <cstdint>
#include <string>

namespace iot::exporter {

class TimeZone {
public:
  TimeZone() = default; // UTC
  // "UTC", "local", or an IANA zone name; a usage error names what is wrong.
  // Selecting a zone other than UTC sets the process's TZ (one zone per run).
  static TimeZone named(const std::string& name);

  bool is_utc() const { return m_utc; }
  // Local time minus UTC at `ms`, in seconds (daylight saving included).
  std::int64_t offset_s(std::int64_t ms) const;
  // "2026-11-21 08:00:00.123" (with `millis`) or "2026-11-21 08:00:00", local.
  std::string civil(std::int64_t ms, bool millis = true) const;
  // RFC 3339 in this zone: "2026-11-21T08:00:00.123+08:00", or "...Z" in UTC.
  std::string rfc3339(std::int64_t ms) const;
  // How the zone is named to readers: "UTC", "Asia/Shanghai (UTC+08:00)".
  std::string label(std::int64_t at_ms) const;
  // The start of the bucket of width `width_ms` holding `ms`, buckets aligned
  // to local midnight (so 1d buckets are local days; hours stay whole hours in
  // whole-hour zones).
  std::int64_t floor(std::int64_t ms, std::int64_t width_ms) const;

private:
  bool m_utc = true;
  std::string m_name = "UTC";
};

} // namespace iot::exporter
