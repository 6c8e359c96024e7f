#include "iot/transport/target.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>

#include "iot/core/error.hpp"
#include "iot/core/text.hpp"

namespace iot::transport {

namespace {

[[noreturn]] void bad(std::string_view url, std::string_view why) {
  throw usage_error(fmt::format("invalid target '{}': {}", url, why));
}

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// "host", "host:port", "[v6]", "[v6]:port".
void parse_host_port(std::string_view url, std::string_view rest, Target& t) {
  if (rest.empty()) bad(url, "the host is missing (e.g. tcp://192.168.1.10:502)");
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (slash + 1 != rest.size()) bad(url, "a network target has no path");
    rest = rest.substr(0, slash);
  }
  std::string_view port;
  if (rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) bad(url, "unclosed '[' in IPv6 address");
    t.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') bad(url, "expected ':port' after ']'");
      port = rest.substr(1);
      if (port.empty()) bad(url, "empty port");
    }
  } else {
    const auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.find(':') != colon) {
      t.host = std::string(rest); // bare IPv6 without a port
    } else if (colon != std::string_view::npos) {
      t.host = std::string(rest.substr(0, colon));
      port = rest.substr(colon + 1);
      if (port.empty()) bad(url, "empty port");
    } else {
      t.host = std::string(rest);
    }
  }
  if (t.host.empty()) bad(url, "the host is missing (e.g. tcp://192.168.1.10:502)");
  if (!port.empty()) {
    const auto p = number(port);
    // Port 0 is kept: a server (iot-sim) binds it to mean "any free port".
    if (!p || *p > 65535) bad(url, fmt::format("port '{}' is not a number from 0 to 65535", port));
    t.port = static_cast<std::uint16_t>(*p);
  }
}

// A setting parsed by one of the public parsers, whose complaint then names the whole URL.
template <typename Parse> auto parse_in_url(std::string_view url, Parse parse, std::string_view value) {
  try {
    return parse(value);
  } catch (const Error& e) {
    bad(url, e.what());
  }
}

void parse_serial_query(std::string_view url, std::string_view query, SerialSettings& s) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) bad(url, fmt::format("'{}' is not key=value", item));
    const std::string key = to_lower(item.substr(0, eq));
    const std::string_view value = item.substr(eq + 1);
    if (key == "baud") {
      const auto b = number(value);
      if (!b || *b < 50 || *b > 4000000) bad(url, fmt::format("baud '{}' is not a rate from 50 to 4000000", value));
      s.baud = static_cast<std::uint32_t>(*b);
    } else if (key == "parity") {
      s.parity = parse_in_url(url, parse_parity, value);
    } else if (key == "data" || key == "bits" || key == "databits") {
      const auto d = number(value);
      if (!d || (*d != 7 && *d != 8)) bad(url, fmt::format("data bits '{}' must be 7 or 8", value));
      s.data_bits = static_cast<std::uint8_t>(*d);
    } else if (key == "stop" || key == "stopbits") {
      const auto d = number(value);
      if (!d || (*d != 1 && *d != 2)) bad(url, fmt::format("stop bits '{}' must be 1 or 2", value));
      s.stop_bits = static_cast<std::uint8_t>(*d);
    } else if (key == "rts") {
      s.rts = parse_in_url(url, parse_rts, value);
    } else {
      bad(url, fmt::format("unknown setting '{}' (expected baud, parity, data, stop or rts)", item.substr(0, eq)));
    }
  }
}

} // namespace

Parity parse_parity(std::string_view text) {
  const std::string t = to_lower(text);
  if (t == "n" || t == "none") return Parity::none;
  if (t == "e" || t == "even") return Parity::even;
  if (t == "o" || t == "odd") return Parity::odd;
  throw usage_error(fmt::format("parity '{}' must be N, E or O (none, even, odd)", text));
}

Rts parse_rts(std::string_view text) {
  const std::string t = to_lower(text);
  if (t == "none" || t == "off" || t.empty()) return Rts::none;
  if (t == "up" || t == "high") return Rts::up;
  if (t == "down" || t == "low") return Rts::down;
  throw usage_error(fmt::format("rts '{}' must be none, up or down", text));
}

Target parse_target(std::string_view url) {
  Target t;
  std::string_view rest;
  const std::string l = to_lower(url);
  const auto starts = [&](std::string_view p) { return l.rfind(p, 0) == 0; };
  if (url.empty()) bad(url, "empty (expected tcp://host:port, rtu:/dev/ttyUSB0, ...)");
  if (starts("tcp://")) {
    t.scheme = Scheme::tcp;
    rest = url.substr(6);
  } else if (starts("udp://")) {
    t.scheme = Scheme::udp;
    rest = url.substr(6);
  } else if (starts("rtu+tcp://") || starts("rtu-over-tcp://") || starts("rtuovertcp://")) {
    t.scheme = Scheme::rtu_over_tcp;
    rest = url.substr(url.find("://") + 3);
  } else if (starts("rtu:") || starts("ascii:")) {
    t.scheme = starts("rtu:") ? Scheme::rtu : Scheme::ascii;
    rest = url.substr(starts("rtu:") ? 4 : 6);
    if (rest.rfind("//", 0) == 0) rest.remove_prefix(2); // tolerate rtu:///dev/ttyUSB0
    if (rest.rfind("//", 0) == 0) rest.remove_prefix(1);
  } else if (url.front() == '/') {
    t.scheme = Scheme::rtu;
    rest = url;
  } else if (url.find("://") != std::string_view::npos ||
             (url.find(':') != std::string_view::npos && url.find(':') == url.rfind(':') &&
              !number(url.substr(url.rfind(':') + 1)))) {
    bad(url, "unknown scheme (expected tcp://, udp://, rtu+tcp://, rtu: or ascii:)");
  } else {
    t.scheme = Scheme::tcp; // bare host or host:port
    rest = url;
  }
  if (t.is_network()) {
    if (rest.find('?') != std::string_view::npos) bad(url, "network targets take no ?settings");
    parse_host_port(url, rest, t);
    return t;
  }
  const auto q = rest.find('?');
  const std::string_view path = rest.substr(0, q);
  if (path.empty()) bad(url, "the serial device is missing (e.g. rtu:/dev/ttyUSB0 or rtu:pty)");
  if (path == "pty")
    t.pty = true;
  else
    t.device = std::string(path);
  if (t.scheme == Scheme::ascii) t.serial.data_bits = 7; // Modbus over Serial Line V1.02 §2.5.2.1
  if (q != std::string_view::npos) parse_serial_query(url, rest.substr(q + 1), t.serial);
  return t;
}

namespace {
// Names by enum value, in the order target.hpp declares the values (a value added there
// needs its name here, or it is named "?").
constexpr std::array<std::string_view, 5> k_scheme_names{"tcp", "udp", "rtu+tcp", "rtu", "ascii"};
constexpr std::array<std::string_view, 3> k_parity_names{"N", "E", "O"};
constexpr std::array<std::string_view, 3> k_rts_names{"none", "up", "down"};

template <typename Enum, std::size_t N>
std::string_view name_of(Enum value, const std::array<std::string_view, N>& names) {
  const auto i = static_cast<std::size_t>(value);
  return i < N ? names[i] : "?";
}
} // namespace

std::string_view scheme_name(Scheme s) { return name_of(s, k_scheme_names); }

std::string_view parity_name(Parity p) { return name_of(p, k_parity_names); }

std::string_view rts_name(Rts r) { return name_of(r, k_rts_names); }

std::string describe(const SerialSettings& s) {
  return fmt::format("{} {}{}{}", s.baud, s.data_bits, parity_name(s.parity), s.stop_bits);
}

std::string to_string(const Target& t) {
  if (t.is_network()) {
    const bool v6 = t.host.find(':') != std::string::npos;
    return fmt::format("{}://{}{}{}:{}", scheme_name(t.scheme), v6 ? "[" : "", t.host, v6 ? "]" : "", t.port);
  }
  std::string s = fmt::format("{}:{}?baud={}&parity={}&data={}&stop={}", scheme_name(t.scheme),
                              t.pty ? std::string("pty") : t.device, t.serial.baud, parity_name(t.serial.parity),
                              t.serial.data_bits, t.serial.stop_bits);
  if (t.serial.rts != Rts::none) s += fmt::format("&rts={}", rts_name(t.serial.rts));
  return s;
}

} // namespace iot::transport
