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
#include <filesystem>
#include <fstream>
#include <map>
#include <queue>
#include <sstream>
#include <unordered_map>

#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/signals.hpp"
#include "iot/core/time.hpp"
#include "iot/modbus/adu.hpp"
#include "iot/modbus/frame_record.hpp"
#include "iot/modbus/spec.hpp"
#include "iot/modbus/stream_splitter.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/record/records.hpp"
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
  std::vector<record::Endpoint> endpoints;
  std::uint64_t devices = 0;
  for (const auto& ep : m_endpoints) {
    endpoints.push_back({ep->port->name, ep->url, ep->path, ep->devices.size()});
    devices += ep->devices.size();
  }
  for (const auto& f : m_fleets) {
    endpoints.push_back({f.port->name, f.port->url, {}, f.fleet->size()});
    devices += f.fleet->size();
  }
  record::Ready rec;
  rec.ts = now();
  rec.tool = "iot-sim";
  rec.endpoints = endpoints;
  rec.devices = devices;
  RecordLine r(m_out);
  record::write(r.w, rec);
}

void Server::write_stats() {
  namespace f = fields;
  std::vector<record::Counter> counters{
      {f::requests, std::uint64_t{m_stats.requests}},     {f::answers, std::uint64_t{m_stats.answers}},
      {f::exceptions, std::uint64_t{m_stats.exceptions}}, {f::faults, std::uint64_t{m_stats.faults}},
      {f::writes, std::uint64_t{m_stats.writes}},         {f::unknown_unit, std::uint64_t{m_stats.unknown_unit}},
      {f::bad_frames, std::uint64_t{m_stats.bad_frames}}, {f::connections, std::uint64_t{m_stats.connections}},
      {f::commands, std::uint64_t{m_stats.commands}}};
  if (!m_fleets.empty()) {
    acrel::FleetStats t;
    std::uint64_t meters = 0;
    for (const auto& fl : m_fleets) {
      meters += fl.fleet->size();
      t += fl.fleet->stats();
    }
    t.append_to(counters, meters, /*with_births=*/false);
  }
  write_record(m_out, record::Stats{.ts = now(), .tool = "iot-sim", .counters = counters});
}

void Server::log_request(const Endpoint& ep, std::span<const std::uint8_t> frame, const SimDevice* d,
                         const FaultAction* act, std::span<const std::uint8_t> reply) {
  modbus::decode_frame(frame, ep.framing, modbus::Direction::request, m_frame);
  // Reused: a logging simulator writes one of these per request.
  thread_local std::vector<std::string_view> faults;
  thread_local std::string reply_hex;
  faults.clear();
  if (act && act->any())
    for (auto k : act->applied)
      faults.push_back(config::fault_kind_name(k));
  reply_hex.clear();
  append_hex(reply_hex, reply);
  record::Frame rec;
  rec.ts = now();
  rec.members = modbus::frame_members(m_frame);
  rec.port = ep.port->name;
  if (d) rec.device = d->dev->name();
  rec.faults = faults;
  rec.reply_hex = reply_hex;
  RecordLine r(m_out);
  record::write(r.w, rec);
}

void Server::log_write(const SimDevice& d, const WriteEvent& e) {
  ++m_stats.writes;
  const double t = sim_time();
  std::vector<std::pair<std::string_view, record::Value>> points;
  const auto& pts = d.dev->points();
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const auto rg = pts[i].def->range();
    if (rg.table != e.table || rg.addr >= e.addr + e.count || e.addr >= rg.end()) continue;
    points.emplace_back(pts[i].def->name, d.dev->current(i, t));
  }
  const std::string addr = values::to_string(values::Range{e.table, e.addr, e.count});
  record::Write rec;
  rec.ts = now();
  rec.port = d.ep->port->name;
  rec.unit = d.dev->unit();
  rec.device = d.dev->name();
  rec.addr = addr;
  rec.has_points = true;
  rec.points = points;
  RecordLine r(m_out);
  record::write(r.w, rec);
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
