#include "iot/mqtt/options.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "iot/core/error.hpp"

namespace iot::mqtt {

std::string BrokerUrl::paho_uri() const {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", tls ? "ssl" : "tcp", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

BrokerUrl parse_broker_url(const std::string& url) {
  BrokerUrl b;
  std::string_view rest = url;
  const auto scheme_end = rest.find("://");
  if (scheme_end == std::string_view::npos)
    throw usage_error("broker URL '" + url + "' must start with mqtt:// or mqtts://");
  const std::string_view scheme = rest.substr(0, scheme_end);
  if (scheme == "mqtt" || scheme == "tcp") {
    b.tls = false;
    b.port = 1883; // IANA port for MQTT
  } else if (scheme == "mqtts" || scheme == "ssl") {
    b.tls = true;
    b.port = 8883; // IANA port for MQTT over TLS
  } else {
    throw usage_error("broker URL '" + url + "': unknown scheme '" + std::string(scheme) +
                      "' (use mqtt:// or mqtts://)");
  }
  rest.remove_prefix(scheme_end + 3);
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (slash + 1 != rest.size()) throw usage_error("broker URL '" + url + "' must not have a path");
    rest = rest.substr(0, slash);
  }
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) throw usage_error("broker URL '" + url + "': missing ']'");
    b.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw usage_error("broker URL '" + url + "': junk after ']'");
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = rest.rfind(':');
    if (colon != std::string_view::npos) {
      b.host = std::string(rest.substr(0, colon));
      port_text = rest.substr(colon + 1);
    } else {
      b.host = std::string(rest);
    }
  }
  if (b.host.empty()) throw usage_error("broker URL '" + url + "' has no host");
  if (!port_text.empty()) {
    int p = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || p > 65535) throw usage_error("broker URL '" + url + "': bad port");
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535) throw usage_error("broker URL '" + url + "': bad port");
    b.port = p;
  }
  return b;
}

std::string read_password(const std::string& file, const std::string& env) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw config_error("cannot read password file '" + file + "'");
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (!env.empty()) {
    const char* v = std::getenv(env.c_str());
    if (v == nullptr) throw config_error("environment variable " + env + " (password) is not set");
    return v;
  }
  return {};
}

std::string default_client_id(const std::string& prefix) {
  char host[64] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}-{}-{}", prefix, host, ::getpid());
}

} // namespace iot::mqtt
