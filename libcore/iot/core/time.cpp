#include "iot/core/time.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>

namespace iot {

TimePoint now() { return std::chrono::time_point_cast<std::chrono::microseconds>(Clock::now()); }

namespace {
// Days since 1970-01-01 to civil date (proleptic Gregorian), after H. Hinnant's algorithm.
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t yy = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yy + (m <= 2));
}

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// The "YYYY-MM-DDTHH:MM:SS" prefix of the last second formatted, per thread.
thread_local std::int64_t t_cached_second = INT64_MIN;
thread_local char t_cached_prefix[19];
} // namespace

void format_ts(TimePoint t, char* out) {
  const std::int64_t us = t.time_since_epoch().count();
  std::int64_t sec = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  const auto ms = static_cast<unsigned>((us - sec * 1000000) / 1000);
  if (sec != t_cached_second) {
    std::int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    auto rem = static_cast<unsigned>(sec - days * 86400);
    int y;
    unsigned mo, d;
    civil_from_days(days, y, mo, d);
    char* p = t_cached_prefix;
    auto yy = static_cast<unsigned>(y < 0 ? 0 : y % 10000);
    put2(p, yy / 100);
    put2(p + 2, yy % 100);
    p[4] = '-';
    put2(p + 5, mo);
    p[7] = '-';
    put2(p + 8, d);
    p[10] = 'T';
    put2(p + 11, rem / 3600);
    p[13] = ':';
    put2(p + 14, rem / 60 % 60);
    p[16] = ':';
    put2(p + 17, rem % 60);
    t_cached_second = sec;
  }
  std::memcpy(out, t_cached_prefix, 19);
  out[19] = '.';
  out[20] = static_cast<char>('0' + ms / 100);
  out[21] = static_cast<char>('0' + ms / 10 % 10);
  out[22] = static_cast<char>('0' + ms % 10);
  out[23] = 'Z';
}

std::string format_ts(TimePoint t) {
  std::string s(24, ' ');
  format_ts(t, s.data());
  return s;
}

namespace {
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}
} // namespace

std::optional<TimePoint> parse_ts(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' || !digits(s, 8, 2, d))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  std::int64_t frac_us = 0;
  std::int64_t offset_s = 0;
  std::size_t pos = 10;
  if (s.size() > 10) {
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) || s.size() < 19 || s[13] != ':' ||
        !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
      return std::nullopt;
    if (h > 23 || mi > 59 || se > 60) return std::nullopt;
    pos = 19;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      std::int64_t scale = 100000;
      std::size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        frac_us += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
    }
    if (pos == s.size()) return std::nullopt; // a time needs a zone
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh, om;
      if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om))
        return std::nullopt;
      offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
      pos += 6;
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
  return TimePoint(std::chrono::microseconds(secs * 1000000 + frac_us));
}

std::optional<std::chrono::microseconds> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || value < 0 || !std::isfinite(value)) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(s.data() + s.size() - end));
  double us_per;
  if (unit.empty() || unit == "s")
    us_per = 1e6;
  else if (unit == "ms")
    us_per = 1e3;
  else if (unit == "us")
    us_per = 1;
  else if (unit == "m" || unit == "min")
    us_per = 60e6;
  else if (unit == "h")
    us_per = 3600e6;
  else if (unit == "d")
    us_per = 86400e6;
  else
    return std::nullopt;
  return std::chrono::microseconds(static_cast<std::int64_t>(std::llround(value * us_per)));
}

} // namespace iot
