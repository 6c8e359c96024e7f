#include "iot/export/zone.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "iot/core/error.hpp"

namespace iot::exporter {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if (a % b != 0 && (a < 0) != (b < 0)) --q;
  return q;
}

std::tm broken_down(std::int64_t ms, bool utc) {
  std::time_t t = static_cast<std::time_t>(floor_div(ms, 1000));
  std::tm tm{};
  if (utc)
    ::gmtime_r(&t, &tm);
  else
    ::localtime_r(&t, &tm);
  return tm;
}

std::string offset_text(std::int64_t s) {
  char sign = s < 0 ? '-' : '+';
  if (s < 0) s = -s;
  return fmt::format("{}{:02}:{:02}", sign, s / 3600, s / 60 % 60);
}

// The zone the system uses when TZ is unset: the zoneinfo file /etc/localtime
// links to ("Etc/UTC", "Asia/Shanghai").
std::string system_zone_name() {
  std::error_code ec;
  auto target = std::filesystem::read_symlink("/etc/localtime", ec);
  if (ec) return "local";
  std::string s = target.string();
  auto at = s.find("zoneinfo/");
  return at == std::string::npos ? s : s.substr(at + 9);
}

} // namespace

TimeZone TimeZone::named(const std::string& name) {
  TimeZone z;
  if (name.empty() || name == "UTC" || name == "utc" || name == "Z" || name == "Etc/UTC") return z;
  if (name == "local") {
    const char* tz = std::getenv("TZ");
    z.m_name = tz && *tz ? (tz[0] == ':' ? tz + 1 : tz) : system_zone_name();
  } else {
    // tzset() quietly falls back to UTC for a zone it cannot find, so look
    // the name up first: a typo must not give UTC times labelled as local.
    if (name.find("..") != std::string::npos || name.front() == '/')
      throw usage_error("--tz: not a time zone name: " + name);
    const char* dir = std::getenv("TZDIR");
    std::filesystem::path file = std::filesystem::path(dir && *dir ? dir : "/usr/share/zoneinfo") / name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
      throw usage_error("--tz: unknown time zone '" + name + "' (no " + file.string() +
                        "; use an IANA name such as Asia/Shanghai, UTC or local)");
    ::setenv("TZ", (":" + name).c_str(), 1);
    z.m_name = name;
  }
  ::tzset();
  z.m_utc = false;
  return z;
}

std::int64_t TimeZone::offset_s(std::int64_t ms) const {
  if (m_utc) return 0;
  return broken_down(ms, false).tm_gmtoff;
}

std::string TimeZone::civil(std::int64_t ms, bool millis) const {
  std::tm tm = broken_down(ms, m_utc);
  std::string s = fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                              tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (millis) s += fmt::format(".{:03}", ms - floor_div(ms, 1000) * 1000);
  return s;
}

std::string TimeZone::rfc3339(std::int64_t ms) const {
  std::string s = civil(ms);
  s[10] = 'T';
  return s + (m_utc ? std::string("Z") : offset_text(offset_s(ms)));
}

std::string TimeZone::label(std::int64_t at_ms) const {
  if (m_utc) return "UTC";
  return m_name + " (UTC" + offset_text(offset_s(at_ms)) + ")";
}

std::int64_t TimeZone::floor(std::int64_t ms, std::int64_t width_ms) const {
  if (width_ms <= 0) return ms;
  std::int64_t off = offset_s(ms) * 1000;
  return floor_div(ms + off, width_ms) * width_ms - off;
}

} // namespace iot::exporter
