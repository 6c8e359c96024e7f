#include "iot/sim/sim.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <queue>
#include <unordered_map>

#include "iot/cli/log.hpp"
#include "iot/core/error.hpp"
#include "iot/core/signals.hpp"
#include "iot/core/time.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/modbus/spec.hpp"
#include "iot/modbus/stream_splitter.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/sim/command.hpp"
#include "iot/sim/device.hpp"
#include "iot/sim/fault.hpp"
#include "iot/sim/meter.hpp"
#include "iot/sim/server.hpp"
#include "iot/transport/serial.hpp"
#include "iot/values/address.hpp"
#include "iot/values/value_json.hpp"

namespace iot::sim {

namespace detail {

namespace {
void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  for (auto b : bytes) {
    out.push_back(k_digits[b >> 4]);
    out.push_back(k_digits[b & 15]);
  }
}
} // namespace

void Server::write_ready() {
  RecordLine r(m_out);
  r.w.begin_record(now(), "ready");
  r.w.field("tool", "iot-sim");
  r.w.key("endpoints");
  r.w.begin_array();
  std::size_t devices = 0;
  for (const auto& ep : m_endpoints) {
    r.w.begin_object();
    r.w.field("port", ep->port->name);
    r.w.field("url", ep->url);
    if (!ep->path.empty()) r.w.field("path", ep->path);
    r.w.field("devices", static_cast<unsigned long>(ep->devices.size()));
    devices += ep->devices.size();
    r.w.end_object();
  }
  for (const auto& f : m_fleets) {
    r.w.begin_object();
    r.w.field("port", f.port->name);
    r.w.field("url", f.port->url);
    r.w.field("devices", static_cast<unsigned long>(f.fleet->size()));
    devices += f.fleet->size();
    r.w.end_object();
  }
  r.w.end_array();
  r.w.field("devices", static_cast<unsigned long>(devices));
  r.w.end_object();
}

void Server::write_stats() {
  RecordLine r(m_out);
  r.w.begin_record(now(), "stats");
  r.w.field("tool", "iot-sim");
  r.w.field("requests", static_cast<unsigned long long>(m_stats.requests));
  r.w.field("answers", static_cast<unsigned long long>(m_stats.answers));
  r.w.field("exceptions", static_cast<unsigned long long>(m_stats.exceptions));
  r.w.field("faults", static_cast<unsigned long long>(m_stats.faults));
  r.w.field("writes", static_cast<unsigned long long>(m_stats.writes));
  r.w.field("unknown_unit", static_cast<unsigned long long>(m_stats.unknown_unit));
  r.w.field("bad_frames", static_cast<unsigned long long>(m_stats.bad_frames));
  r.w.field("connections", static_cast<unsigned long long>(m_stats.connections));
  r.w.field("commands", static_cast<unsigned long long>(m_stats.commands));
  if (!m_fleets.empty()) {
    acrel::FleetStats t;
    std::uint64_t meters = 0;
    for (const auto& f : m_fleets) {
      meters += f.fleet->size();
      t += f.fleet->stats();
    }
    r.w.field("meters", static_cast<unsigned long long>(meters));
    r.w.field("meters_connected", static_cast<unsigned long long>(t.connected));
    r.w.field("logins", static_cast<unsigned long long>(t.logins));
    r.w.field("paras", static_cast<unsigned long long>(t.paras));
    r.w.field("hearts", static_cast<unsigned long long>(t.hearts));
    r.w.field("datas", static_cast<unsigned long long>(t.datas));
    r.w.field("downlinks", static_cast<unsigned long long>(t.downlinks));
    r.w.field("replies", static_cast<unsigned long long>(t.replies));
    r.w.field("refused", static_cast<unsigned long long>(t.refused));
    r.w.field("times", static_cast<unsigned long long>(t.times));
    r.w.field("alarms", static_cast<unsigned long long>(t.alarms));
  }
  r.w.end_object();
}

void Server::log_request(const Endpoint& ep, std::span<const std::uint8_t> frame, const SimDevice* d,
                         const FaultAction* act, std::span<const std::uint8_t> reply) {
  modbus::decode_frame(frame, ep.framing, modbus::Direction::request, m_frame);
  RecordLine r(m_out);
  r.w.begin_record(now(), "frame");
  modbus::write_frame_fields(r.w, m_frame);
  r.w.field("port", ep.port->name);
  if (d) r.w.field("device", d->dev->name());
  if (act && act->any()) {
    r.w.key("faults");
    r.w.begin_array();
    for (auto k : act->applied)
      r.w.value(config::fault_kind_name(k));
    r.w.end_array();
  }
  if (!reply.empty()) {
    r.w.key("reply_hex");
    std::string hex;
    append_hex(hex, reply);
    r.w.value(hex);
  }
  r.w.end_object();
}

void Server::log_write(const SimDevice& d, const WriteEvent& e) {
  ++m_stats.writes;
  RecordLine r(m_out);
  r.w.begin_record(now(), "write");
  r.w.field("port", d.ep->port->name);
  r.w.field("unit", static_cast<int>(d.dev->unit()));
  r.w.field("device", d.dev->name());
  r.w.field("addr", values::to_string(values::Range{e.table, e.addr, e.count}));
  const double t = sim_time();
  r.w.key("points");
  r.w.begin_object();
  const auto& pts = d.dev->points();
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const auto rg = pts[i].def->range();
    if (rg.table != e.table || rg.addr >= e.addr + e.count || e.addr >= rg.end()) continue;
    r.w.key(pts[i].def->name);
    values::write_json(r.w, d.dev->current(i, t));
  }
  r.w.end_object();
  r.w.end_object();
}

} // namespace detail

config::Site quick_site(const std::string& url, const std::string& units, const std::string& model,
                        const std::string& models, const std::string& unknown_unit) {
  namespace fs = std::filesystem;
  if (model.empty()) throw usage_error("quick mode needs --model (a model of the catalog, e.g. FC1003-8)");
  const auto ids = values::parse_unit_list(units.empty() ? "1" : units, true);
  const auto target = transport::parse_target(url); // usage error for a bad URL
  (void)target;
  // --models: a catalog directory searched first, or one catalog file. There is no site
  // file, so no models/ beside it.
  config::LoadOptions load;
  load.beside_site = false;
  std::string models_file;
  if (!models.empty()) {
    std::error_code ec;
    if (fs::is_directory(models, ec))
      load.models_dir = models;
    else if (fs::is_regular_file(models, ec))
      models_file = fs::absolute(models).string();
    else
      throw usage_error("--models: no such file or directory: " + models);
  }
  // An unknown model is an error about --model, not about the site text built below.
  {
    std::map<std::string, config::Model> known;
    if (!models_file.empty()) known = config::load_models(models_file);
    const auto dirs = config::catalog_dirs({}, load);
    if (!known.count(model)) known.merge(config::load_catalog(dirs));
    if (!known.count(model)) {
      std::string where, names;
      for (const auto& d : dirs)
        where += (where.empty() ? "" : ", ") + d.string();
      for (const auto& [name, m] : known)
        names += (names.empty() ? "" : ", ") + name;
      throw usage_error("--model: unknown model '" + model + "'" +
                        (names.empty() ? std::string() : "; known models: " + names) + " (catalog searched in " +
                        (where.empty() ? "no existing directory" : where) + "; see iot-site(5), MODEL CATALOG)");
    }
  }
  std::string text = "[site]\nname = \"iot-sim\"\n";
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char ch : s) {
      if (ch == '"' || ch == '\\') q.push_back('\\');
      q.push_back(ch);
    }
    return q + "\"";
  };
  if (!models_file.empty()) text += "models = [" + quote(models_file) + "]\n";
  text += "[[port]]\nname = \"sim\"\nurl = " + quote(url) + "\n";
  if (!unknown_unit.empty()) {
    if (unknown_unit == "none")
      text += "unknown_unit = \"none\"\n";
    else if (!unknown_unit.empty() && std::isdigit(static_cast<unsigned char>(unknown_unit[0])))
      text += "unknown_unit = " + unknown_unit + "\n";
    else
      text += "unknown_unit = " + quote(unknown_unit) + "\n";
  }
  for (auto id : ids) {
    text += "[[port.device]]\nname = \"unit" + std::to_string(id) + "\"\nunit = " + std::to_string(id) +
            "\nmodel = " + quote(model) + "\n";
  }
  try {
    return config::parse_site(text, "quick mode", load);
  } catch (const Error& e) {
    // The text is ours: what can still be wrong came from an option. Name it.
    const std::string msg = e.what();
    static const std::pair<std::string_view, std::string_view> k_option_of[] = {
        {"port[0].unknown_unit: ", "--unknown-unit: "}, {"port[0].url: ", "target: "}};
    for (const auto& [key, option] : k_option_of) {
      if (auto at = msg.find(key); at != std::string::npos)
        throw usage_error(std::string(option) + msg.substr(at + key.size()));
    }
    throw usage_error("quick mode (--model " + model + "): " + msg.substr(msg.find(": ") + 2));
  }
}

ExitCode serve(const config::Site& site, const Options& options, LineSink& out) {
  detail::Server server(site, options, out);
  return server.run();
}

} // namespace iot::sim
