// iot-mqtt-bridge: JSON Lines records to and from an MQTT broker.
// Only command-line wiring here; the work is in libcore/iot/bridge/ (on the MQTT client in libcore/iot/mqtt/).
#include "iot/bridge/args.hpp"
#include "iot/cli/cli.hpp"
#include "iot/cli/options.hpp"
#include "iot/net/udp.hpp"

namespace {

void add_connect_options(CLI::App* cmd, iot::bridge::ConnectArgs& a) {
  cmd->add_option("-b,--broker", a.brokers,
                  "Broker URL: mqtt://HOST[:PORT] or mqtts://HOST[:PORT]; repeat to fail over between brokers")
      ->capture_default_str();
  cmd->add_option("-i,--client-id", a.client_id, "Client identifier (default: iot-mqtt-bridge-HOST-PID)");
  iot::cli::choices(cmd->add_option("--mqtt-version", a.version, "Protocol version: 3.1.1 or 5")->capture_default_str(),
                    {"3.1.1", "5"});
  cmd->add_option("-k,--keepalive", a.keepalive, "Keep-alive interval")->capture_default_str();
  cmd->add_flag("-c,--no-clean", a.no_clean, "Keep the session on the broker (needs --client-id)");
  cmd->add_option("--session-expiry", a.session_expiry, "MQTT 5 session expiry interval, e.g. 1h");
  cmd->add_option("-u,--username", a.username, "User name");
  iot::cli::path(
      cmd->add_option("--password-file", a.password_file, "Read the password from the first line of this file"));
  cmd->add_option("--password-env", a.password_env, "Read the password from this environment variable");
  iot::cli::path(cmd->add_option("--cafile", a.ca_file, "CA certificates (PEM) to verify the broker with"));
  iot::cli::path(cmd->add_option("--cert", a.cert_file, "Client certificate (PEM)"));
  iot::cli::path(cmd->add_option("--key", a.key_file, "Client private key (PEM)"));
  cmd->add_flag("--insecure", a.insecure, "Do not verify the broker's certificate or host name");
  cmd->add_option("--will-topic", a.will_topic, "Last will topic");
  cmd->add_option("--will-payload", a.will_payload, "Last will payload");
  cmd->add_option("--will-qos", a.will_qos, "Last will QoS");
  cmd->add_flag("--will-retain", a.will_retain, "Retain the last will");
  cmd->add_option("--birth-topic", a.birth_topic, "Topic of a message published after every connect");
  cmd->add_option("--birth-payload", a.birth_payload, "Payload of the birth message");
  cmd->add_option("--birth-qos", a.birth_qos, "QoS of the birth message");
  cmd->add_flag("--birth-retain", a.birth_retain, "Retain the birth message");
  cmd->add_option("--reconnect-min", a.reconnect_min, "First reconnect delay (doubles up to --reconnect-max)")
      ->capture_default_str();
  cmd->add_option("--reconnect-max", a.reconnect_max, "Longest delay between reconnect attempts")
      ->capture_default_str();
}

// forward and receive: records as UDP datagrams (libcore/iot/net/udp.hpp).
void add_udp_commands(iot::cli::Tool& tool, CLI::App& app, iot::net::ForwardArgs& fwd, iot::net::ReceiveArgs& recv) {
  CLI::App* f = iot::cli::add_command(tool, app, "forward", "Send each stdin record as a UDP datagram to every target",
                                      [&] { return iot::net::run_forward(iot::net::to_forward_options(fwd), 0, 1); });
  f->add_option("targets", fwd.targets, "Targets, udp://HOST:PORT (one or more)")->required();
  f->add_option("--max-datagram", fwd.max_datagram,
                "Largest datagram to send, envelope included (64 to 65507, e.g. 1472)")
      ->capture_default_str();
  f->add_option("--stream", fwd.stream, "Stream name in the envelope (default: random per run)");
  f->add_flag("--no-envelope", fwd.no_envelope, "Send the records as they are, without stream and sequence number");
  f->add_option("--rate", fwd.rate, "At most this many datagrams per second (default: no limit)");
  f->add_flag("--no-stats", fwd.no_stats, "Do not write the stats record to stdout at the end");

  CLI::App* r = iot::cli::add_command(tool, app, "receive", "Write the records received as UDP datagrams",
                                      [&] { return iot::net::run_receive(iot::net::to_receive_options(recv), 1); });
  r->add_option("listen", recv.listen, "Address to listen on, udp://ADDR:PORT (0.0.0.0 or [::] for all)")->required();
  r->add_option("-C,--count", recv.count, "Stop after this many records");
  r->add_option("--duration", recv.duration, "Stop after this long (default: until SIGINT/SIGTERM)");
  r->add_flag("--keep-envelope", recv.keep_envelope, "Write records with their udp envelope (stream, seq)");
  r->add_option("--buffer", recv.buffer, "Socket receive buffer to ask for (capped by net.core.rmem_max)")
      ->capture_default_str();
  r->add_flag("--no-stats", recv.no_stats, "Do not write the stats record to stdout at the end");
}

} // namespace

int main(int argc, char** argv) {
  iot::cli::Tool tool("iot-mqtt-bridge", "JSON Lines records to and from an MQTT broker, without silent loss");
  CLI::App& app = tool.app();
  app.require_subcommand(1);

  iot::bridge::ConnectArgs pub_conn;
  iot::bridge::PubArgs pub;
  CLI::App* pub_cmd = iot::cli::add_command(tool, app, "pub", "Publish each stdin record as an MQTT message", [&] {
    pub.qos_given = pub_cmd->count("--qos") > 0;
    return iot::bridge::run_pub(iot::bridge::to_pub_options(pub_conn, pub), 0, 1);
  });
  add_connect_options(pub_cmd, pub_conn);
  pub_cmd->add_option("-t,--topic", pub.topic, "Topic, a template over record fields such as 'site/{device}/{point}'");
  pub_cmd->add_option(
      "--topic-for", pub.topic_for,
      "Topic template for one record kind, KIND=TEMPLATE, e.g. status='site/{device}/status'; repeatable");
  pub_cmd->add_option("--payload", pub.payload_field,
                      "Send only this field of each record (default: the whole record)");
  iot::cli::add_qos(pub_cmd, "-q,--qos", pub.qos, "QoS of messages (wins over an mqtt record's own qos)");
  pub_cmd->add_flag("-r,--retain", pub.retain, "Retain messages (wins over an mqtt record's own retain)");
  pub_cmd->add_flag("--qos-from-record", pub.qos_from_record, "An mqtt record's qos and retain win over -q and -r");
  pub_cmd->add_option("-w,--window", pub.window, "Messages in flight (sent, not yet acknowledged)")
      ->capture_default_str();
  pub_cmd->add_option("--max-payload", pub.max_payload, "Refuse payloads larger than this (e.g. 64K)")
      ->capture_default_str();
  iot::cli::path(pub_cmd->add_option("--spool", pub.spool, "Store-and-forward spool directory (survives restarts)"));
  pub_cmd->add_option("--spool-max", pub.spool_max, "Largest size of the spool on disk")->capture_default_str();
  pub_cmd->add_option("--spool-segment", pub.spool_segment, "Size of one spool segment file")->capture_default_str();
  iot::cli::choices(
      pub_cmd->add_option("--spool-full", pub.spool_full, "When the spool is full: drop-oldest, drop-newest or block")
          ->capture_default_str(),
      {"drop-oldest", "drop-newest", "block"});
  pub_cmd->add_option("--drain-timeout", pub.drain_timeout,
                      "At end of input, wait at most this long for acknowledgements");
  pub_cmd->add_option("--stats-every", pub.stats_every, "Also write a stats record this often, e.g. 1m");
  pub_cmd->add_flag("--no-stats", pub.no_stats, "Do not write the stats record to stdout at the end");

  iot::bridge::ConnectArgs sub_conn;
  iot::bridge::SubArgs sub;
  CLI::App* sub_cmd = iot::cli::add_command(tool, app, "sub", "Write one mqtt record per received message", [&] {
    return iot::bridge::run_sub(iot::bridge::to_sub_options(sub_conn, sub), 1);
  });
  add_connect_options(sub_cmd, sub_conn);
  sub_cmd
      ->add_option("-t,--topic", sub.topics, "Topic filter, repeatable; $share/GROUP/FILTER for a shared subscription")
      ->required();
  iot::cli::add_qos(sub_cmd, "-q,--qos", sub.qos, "QoS of the subscriptions");
  sub_cmd->add_option("-C,--count", sub.count, "Stop after this many messages");
  sub_cmd->add_option("--stats-every", sub.stats_every, "Write a stats record to stdout this often, e.g. 1m");
  iot::cli::choices(sub_cmd->add_option("--answer", sub.answer,
                                        "Answer devices as their platform does: acrel (login, para, heart get res=1)"),
                    {"acrel"});

  iot::bridge::ConnectArgs fleet_conn;
  iot::bridge::FleetArgs fleet;
  CLI::App* fleet_cmd = iot::cli::add_command(
      tool, app, "acrel-sim", "Simulate Acrel ADW300 meters publishing the acrelHW protocol", [&] {
        return iot::acrel::run_fleet(iot::bridge::to_fleet_options(fleet_conn, fleet),
                                     iot::bridge::fleet_duration(fleet), 1);
      });
  add_connect_options(fleet_cmd, fleet_conn);
  fleet_cmd->add_option("-n,--meters", fleet.meters, "Number of meters, each with its own connection")
      ->capture_default_str();
  fleet_cmd->add_option("--first-sn", fleet.first_sn, "Serial number of the first meter (14 digits)")
      ->capture_default_str();
  fleet_cmd->add_option("--product", fleet.product, "Product level of the topics")->capture_default_str();
  fleet_cmd->add_option("--meter-name", fleet.meter_name, "meterName in para and data")->capture_default_str();
  fleet_cmd->add_option("--up-interval", fleet.up_interval, "Data period in minutes (para upInterval)")
      ->capture_default_str();
  fleet_cmd->add_option("--fast", fleet.fast, "Data period override for tests and demos, e.g. 1s");
  fleet_cmd->add_option("--heart", fleet.heart, "Heartbeat period")->capture_default_str();
  iot::cli::add_qos(fleet_cmd, "-q,--qos", fleet.qos, "QoS of the meters' messages");
  fleet_cmd->add_option("--duration", fleet.duration, "Stop after this long (default: until SIGINT/SIGTERM)");
  iot::cli::choices(fleet_cmd
                        ->add_option("--format", fleet.format,
                                     "data messages: type (acrelHW keys) or point-id (2025 ADW300 firmware)")
                        ->capture_default_str(),
                    {"type", "point-id"});

  iot::net::ForwardArgs forward;
  iot::net::ReceiveArgs receive;
  add_udp_commands(tool, app, forward, receive);
  return tool.run(argc, argv);
}
