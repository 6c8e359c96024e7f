#include "iot/bridge/args.hpp"

#include "iot/acrel/protocol.hpp"
#include "iot/cli/options.hpp"
#include "iot/core/error.hpp"
#include "iot/core/log.hpp"
#include "iot/core/time.hpp"

namespace iot::bridge {

using cli::duration_option_as;
using mqtt::ConnectOptions;
using mqtt::Message;
using mqtt::parse_broker_url;
using mqtt::read_password;
using mqtt::SpoolFull;
using mqtt::SpoolOptions;
using std::chrono::milliseconds;
using std::chrono::seconds;

mqtt::ConnectOptions to_connect_options(const ConnectArgs& a) {
  ConnectOptions o;
  if (a.brokers.empty()) throw usage_error("--broker needs a URL");
  o.broker = a.brokers.front();
  o.failover.assign(a.brokers.begin() + 1, a.brokers.end());
  for (const std::string& b : a.brokers) // check early: a usage error, not a connection failure
    if (parse_broker_url(b).tls != parse_broker_url(o.broker).tls)
      throw usage_error("all --broker URLs must use the same scheme (mqtt:// or mqtts://)");
  o.client_id = a.client_id;
  if (a.version == "3.1.1" || a.version == "4")
    o.version = 4;
  else if (a.version == "5")
    o.version = 5;
  else
    throw usage_error("--mqtt-version must be 3.1.1 or 5");
  o.keepalive = duration_option_as<seconds>(a.keepalive, "--keepalive");
  // libmosquitto (link.hpp) refuses keep-alive intervals from 1 to 4 s; say so
  // here rather than fail at every connect.
  if (o.keepalive.count() > 0 && o.keepalive.count() < 5)
    throw usage_error("--keepalive must be 0 (off) or at least 5s");
  o.clean = !a.no_clean;
  if (a.no_clean && a.client_id.empty())
    throw usage_error("--no-clean needs a fixed --client-id: the broker keeps the session under that id");
  if (!a.session_expiry.empty()) {
    if (o.version != 5) throw usage_error("--session-expiry needs --mqtt-version 5");
    o.session_expiry =
        static_cast<std::uint32_t>(duration_option_as<seconds>(a.session_expiry, "--session-expiry").count());
  } else if (o.version == 5 && a.no_clean) {
    o.session_expiry = 0xFFFFFFFFu; // MQTT 5 §3.1.2.11.2: the session never expires, as in 3.1.1 without clean session
  }
  o.username = a.username;
  o.password = read_password(a.password_file, a.password_env);
  o.ca_file = a.ca_file;
  o.cert_file = a.cert_file;
  o.key_file = a.key_file;
  if (!o.cert_file.empty() && o.key_file.empty()) o.key_file = o.cert_file; // PEM holding both
  o.insecure = a.insecure;
  const bool tls = parse_broker_url(o.broker).tls;
  if (!tls && (!a.ca_file.empty() || !a.cert_file.empty() || a.insecure))
    throw usage_error("--cafile, --cert and --insecure need an mqtts:// broker URL");
  if (!a.will_topic.empty()) {
    cli::check_qos(a.will_qos, "--will-qos");
    o.will = Message{a.will_topic, a.will_payload, a.will_qos, a.will_retain};
  }
  if (!a.birth_topic.empty()) {
    cli::check_qos(a.birth_qos, "--birth-qos");
    o.birth = Message{a.birth_topic, a.birth_payload, a.birth_qos, a.birth_retain};
  }
  o.reconnect_min = duration_option_as<milliseconds>(a.reconnect_min, "--reconnect-min");
  o.reconnect_max = duration_option_as<milliseconds>(a.reconnect_max, "--reconnect-max");
  if (o.reconnect_min.count() < 1) o.reconnect_min = std::chrono::milliseconds(1);
  if (o.reconnect_max < o.reconnect_min) o.reconnect_max = o.reconnect_min;
  return o;
}

PubOptions to_pub_options(const ConnectArgs& c, const PubArgs& a) {
  PubOptions o;
  o.connect = to_connect_options(c);
  cli::check_qos(a.qos, "--qos");
  o.map.topic_template = a.topic;
  if (!a.topic.empty()) TopicTemplate check(a.topic);
  for (const std::string& spec : a.topic_for) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw usage_error("--topic-for '" + spec + "' must be KIND=TEMPLATE, e.g. status='site/{device}/status'");
    TopicTemplate check(spec.substr(eq + 1));
    o.map.topic_for[spec.substr(0, eq)] = spec.substr(eq + 1);
  }
  o.map.qos_given = a.qos_given;
  o.map.qos_from_record = a.qos_from_record;
  o.map.payload_field = a.payload_field;
  o.map.qos = a.qos;
  o.map.retain = a.retain;
  o.map.max_payload = cli::parse_size(a.max_payload);
  if (o.map.max_payload > 268435455) o.map.max_payload = 268435455;
  if (a.window < 1 || a.window > 65535) throw usage_error("--window must be 1 to 65535");
  o.window = a.window;
  if (!a.spool.empty()) {
    SpoolOptions s;
    s.dir = a.spool;
    s.max_bytes = cli::parse_size(a.spool_max);
    s.segment_bytes = cli::parse_size(a.spool_segment);
    if (s.max_bytes < 64 * 1024) throw usage_error("--spool-max must be at least 64K");
    if (a.spool_full == "drop-oldest")
      s.full = SpoolFull::drop_oldest;
    else if (a.spool_full == "drop-newest")
      s.full = SpoolFull::drop_newest;
    else if (a.spool_full == "block")
      s.full = SpoolFull::block;
    else
      throw usage_error("--spool-full must be drop-oldest, drop-newest or block");
    o.spool = s;
  }
  if (!a.drain_timeout.empty()) o.drain_timeout = duration_option_as<milliseconds>(a.drain_timeout, "--drain-timeout");
  o.stats = !a.no_stats;
  if (!a.stats_every.empty()) {
    o.stats_every = duration_option_as<milliseconds>(a.stats_every, "--stats-every");
    if (o.stats_every->count() < 100) throw usage_error("--stats-every must be at least 100ms");
  }
  return o;
}

SubOptions to_sub_options(const ConnectArgs& c, const SubArgs& a) {
  SubOptions o;
  o.connect = to_connect_options(c);
  cli::check_qos(a.qos, "--qos");
  for (const auto& t : a.topics)
    o.subscriptions.push_back({t, a.qos});
  o.count = a.count;
  if (!a.stats_every.empty()) {
    o.stats_every = duration_option_as<milliseconds>(a.stats_every, "--stats-every");
    if (o.stats_every->count() < 100) throw usage_error("--stats-every must be at least 100ms");
  }
  if (a.answer == "acrel")
    o.answer = iot::acrel::answer;
  else if (!a.answer.empty())
    throw usage_error("--answer knows only 'acrel'");
  return o;
}

iot::acrel::FleetOptions to_fleet_options(const ConnectArgs& c, const FleetArgs& a) {
  iot::acrel::FleetOptions o;
  // Every meter has its own session: a client id is per meter ("{sn}" is its
  // SN; default acrel-{sn}), so -c needs no -i here.
  ConnectArgs per_meter = c;
  if (per_meter.client_id.empty() && per_meter.no_clean) per_meter.client_id = "acrel-{sn}";
  o.connect = to_connect_options(per_meter);
  if (!o.connect.failover.empty()) throw usage_error("acrel-sim takes one --broker");
  if (!c.client_id.empty() && a.meters > 1 && c.client_id.find("{sn}") == std::string::npos)
    throw usage_error("--client-id: " + std::to_string(a.meters) +
                      " meters cannot share one client id; put {sn} in it (e.g. 'plant-{sn}')");
  if (o.connect.will && a.meters > 1 && o.connect.will->topic.find("{sn}") == std::string::npos)
    log::warn("--will-topic has no {{sn}}: all {} meters share one last-will topic", a.meters);
  if (auto f = iot::acrel::parse_data_format(a.format))
    o.format = *f;
  else
    throw usage_error("--format must be type or point-id");
  if (a.meters < 1 || a.meters > 100000) throw usage_error("--meters must be 1 to 100000");
  o.meters = a.meters;
  if (a.first_sn < 10000000000000ull || a.first_sn + a.meters > 99999999999999ull)
    throw usage_error("--first-sn must leave 14-digit serial numbers");
  o.first_sn = a.first_sn;
  o.product = a.product;
  o.meter_name = a.meter_name;
  if (a.up_interval < 1) throw usage_error("--up-interval must be at least 1 minute");
  o.up_interval_minutes = a.up_interval;
  if (!a.fast.empty()) o.fast = duration_option_as<milliseconds>(a.fast, "--fast");
  o.heart = duration_option_as<milliseconds>(a.heart, "--heart");
  cli::check_qos(a.qos, "--qos");
  o.qos = a.qos;
  return o;
}

std::optional<std::chrono::milliseconds> fleet_duration(const FleetArgs& a) {
  if (a.duration.empty()) return std::nullopt;
  return duration_option_as<milliseconds>(a.duration, "--duration");
}

} // namespace iot::bridge
