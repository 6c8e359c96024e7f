#pragma once
// Site files: the ports, devices and points a poller reads and a simulator serves,
// with a catalog of device models so a controller's points are written once.
// The schema is documented in docs/config.md. Everything is validated at load:
// every error is an iot::Error(config) "file:line:column: key.path: message".
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "iot/transport/target.hpp"
#include "iot/values/address.hpp"
#include "iot/values/value_type.hpp"

namespace iot::config {

using Duration = std::chrono::microseconds;

// Where something was written: for messages at run time ("site.toml:12:3").
struct SourcePos {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string str() const; // "file:line:column" ("file" alone when line is 0)
};

// Alarm rule of a point (报警类型 HH / LL / HL), in engineering units:
//   HH  high alarm at value >= high, high-high at value >= high_high (either may be absent;
//       high <= high_high)
//   LL  low alarm at value <= low, low-low at value <= low_low (low >= low_low), e.g. oxygen
//   HL  high alarm at value >= high and low alarm at value <= low (low < high); high_high and
//       low_low optional second levels
//   WINDOW  high alarm while min <= value <= max, low alarm below min, normal above max
//       (the seed platform's third type, for detectors whose reading inside a band is the
//       alarm); min < max
// deadband (缓冲值): an alarm clears only once the value is back past the limit by
// this much. delay (报警延时): the condition must hold this long before it is raised.
// The limits are what iot-poll's alarm engine (poll/alarm.hpp) runs on.
struct AlarmLimits {
  enum class Type { hh, ll, hl, window };
  Type type = Type::hh;
  std::optional<double> high, high_high, low, low_low;
  double deadband = 0;
  Duration delay{0};
  std::optional<double> min, max; // WINDOW only
};
struct AlarmRule : AlarmLimits {
  SourcePos pos;
};
std::string_view alarm_type_name(AlarmRule::Type type); // "HH", "LL", "HL", "WINDOW"

// How the simulator produces a point's value over time, in engineering units
// (the simulator converts with values::to_raw). t is time since the simulator started.
struct GeneratorSpec {
  enum class Kind { constant, ramp, sine, walk, step, replay, link };
  Kind kind = Kind::constant;
  double value = 0;        // constant; walk: start value
  double from = 0, to = 0; // ramp: from -> to over period, then again from `from`
  double min = 0, max = 0; // sine (centre (min+max)/2), walk bounds
  double step = 1;         // walk: max change per update
  std::uint64_t seed = 1;  // walk: PRNG seed (deterministic runs)
  Duration period{0};      // ramp, sine; step: 0 = hold the last value; else repeat;
                           // walk: time per step (0 = 1 s); replay: time per row without time_column
  std::vector<std::pair<Duration, double>> schedule; // step: [[time, value], ...] sorted
  std::filesystem::path file;    // replay: CSV (header row) or JSONL, resolved against the site file
  std::string column;            // replay: CSV column / JSON key with the value
  std::string time_column;       // replay: optional column with seconds or RFC 3339 stamps
  bool loop = true;              // replay: start over at the end
  std::string point;             // link: "point" (same device) or "device.point"
  double factor = 1, offset = 0; // link: value = source * factor + offset
  SourcePos pos;
};
std::string_view generator_kind_name(GeneratorSpec::Kind kind);

// A fault the simulator injects into a device's answers (never used by the poller).
struct FaultSpec {
  enum class Kind {
    timeout,    // no answer at all
    exception,  // exception response with `code`
    bad_crc,    // answer with a wrong CRC/LRC
    truncate,   // answer cut short by `bytes` bytes (default: half)
    split,      // answer in two pieces `delay` apart (a gap inside the frame)
    garbage,    // `bytes` random bytes before the answer
    slow,       // answer sent at ms_per_byte per byte
    delay,      // answer delayed by `delay`
    wrong_unit, // answer from another unit id
    wrong_tid,  // answer with another MBAP transaction id
    drop,       // connection closed (TCP) / nothing sent
    flap,       // device offline for `offline`, online for `online`, repeating
    busy,       // exception 06 (server busy)
  };
  Kind kind = Kind::timeout;
  std::uint8_t code = 4;             // exception: exception code (01-0B)
  double ms_per_byte = 0;            // slow
  Duration delay{0};                 // delay, split
  std::uint32_t bytes = 0;           // truncate, garbage (0 = kind's default)
  std::uint32_t every = 1;           // apply to every Nth matching request (1 = all)
  double probability = 1;            // apply with this probability (0-1), after `every`
  std::optional<values::Range> addr; // only requests touching this range ("hr:0:10")
  Duration offline{0}, online{0};    // flap
  bool after = false;                // garbage: after the answer instead of before (sim)
  SourcePos pos;
};
std::string_view fault_kind_name(FaultSpec::Kind kind);

struct Point {
  std::string name;
  values::Ref ref;         // table and zero-based address
  values::Format format;   // type, order, byte_order, bit, length
  values::Scaling scaling; // zero, scale, offset, decimals
  std::string uom;         // "%LEL", "ppm", "kW"
  std::string description;
  bool enabled = true;
  bool writable = false;
  bool read_only = false;                 // `writable = false` written out: the simulator refuses writes too
  std::optional<Duration> storage_period; // 存储周期: store a reading at most this often
  std::optional<double> report_deadband;  // report only changes larger than this
  std::optional<AlarmRule> alarm;
  std::optional<GeneratorSpec> generator;
  SourcePos pos;

  // Registers (or coils/inputs) the point occupies.
  std::uint16_t count() const;
  values::Range range() const { return {ref.table, ref.addr, count()}; }
};

// A catalog entry: the points a device model has, written once.
struct Model {
  std::string name;
  std::string description;
  std::optional<std::uint16_t> max_read; // device limit on registers per read
  std::vector<Point> points;             // expanded (repeat done)
  SourcePos pos;
};

// Settings of a port, all inheritable from [defaults].
struct PortSettings {
  Duration interval = std::chrono::seconds(1); // poll cycle
  Duration timeout = std::chrono::milliseconds(500);
  std::uint32_t retries = 1;
  std::uint32_t offline_after = 3;                      // consecutive failed cycles before a device is offline
  Duration reconnect = std::chrono::seconds(30);        // re-probe an offline device this often
  std::uint16_t max_read = 125;                         // registers per read (1-125)
  std::uint16_t max_read_bits = 2000;                   // coils/inputs per read (1-2000)
  std::uint16_t hole = 16;                              // gap of unused registers a read may span
  Duration turnaround = std::chrono::milliseconds(100); // after a broadcast (serial)
  Duration gap{0};                                      // pause between requests on this port
  transport::Rts rts = transport::Rts::none;
  std::optional<std::uint8_t> unknown_unit; // sim: nullopt = no answer, else exception code
  bool allow_reserved = false;              // permit unit ids 0 and 248-255
};

// A simulated Acrel meter (acrelHW MQTT/JSON protocol) on an mqtt:// port: one
// [[port.device]] entry, `count` meters with consecutive serial numbers.
struct MeterSettings {
  std::uint64_t first_sn = 0;    // SN of the first meter (14 digits in every example)
  std::uint32_t sn_digits = 14;  // SNs are zero-padded to this many digits
  std::uint32_t count = 1;       // meters this entry stands for
  std::string product;           // topic level 3 (default "ADW300")
  std::string meter_name;        // meterName in para and data (default: model, lower case)
  std::uint32_t up_interval = 5; // data period, minutes (para upInterval)
  std::optional<Duration> fast;  // data period override (tests, demos)
  std::string format = "type";   // data messages: "type" (acrelHW keys) or "point-id" (2025 ADW300)
};

// One meter of an expanded entry: its device name and serial number.
struct MeterId {
  std::string name;
  std::string sn;
};

struct Device {
  std::string name;
  std::uint8_t unit = 1;
  std::string model; // empty when the device has only its own points
  std::string description;
  bool enabled = true;
  std::optional<std::uint16_t> max_read;       // overrides the port's and the model's
  std::vector<Point> points;                   // model points (expanded) then overrides/additions
  std::optional<std::uint16_t> model_max_read; // the model's max_read, copied at load
  std::vector<FaultSpec> faults;
  std::optional<MeterSettings> meter; // set on the devices of an mqtt:// port
  SourcePos pos;

  // The meters of an mqtt:// device entry: `name` (with {n} expanded when count > 1)
  // and SN = first_sn + index. Empty for Modbus devices.
  std::vector<MeterId> meters() const;
  const Point* find_point(std::string_view name) const;
  // Effective registers per read: device, else model, else port setting.
  std::uint16_t effective_max_read(const PortSettings& port) const;
};

// The broker connection of an mqtt:// or mqtts:// port (simulated Acrel meters).
struct MqttSettings {
  std::string broker; // the url as written
  std::string username;
  std::string password_file;                // the password: first line of this file,
  std::string password_env;                 // or this environment variable (never in the site file)
  std::string ca_file, cert_file, key_file; // TLS (mqtts://), resolved against the site file
  bool insecure = false;                    // TLS without verifying the server
  Duration keepalive = std::chrono::seconds(30);
  Duration heart = std::chrono::seconds(60); // heartbeat period
  int qos = 1;
};

struct Port {
  std::string name;
  std::string url;                  // as written
  transport::Target target;         // parsed url (Modbus ports); serial rts from the url or the rts setting
  std::optional<MqttSettings> mqtt; // set for mqtt:// and mqtts:// ports (Acrel meters)
  PortSettings settings;
  std::vector<Device> devices;
  SourcePos pos;
  const Device* find_device(std::uint8_t unit) const;
};

// Alarm relay linkage (报警继电器联动, [[link]]): while a point's alarm is at a level, write
// values to other points (relays: coils or holding registers), on any port; when the
// condition ends, write their release values. Many to many: a link may watch several points
// (any of them starts it) and switch several relays, and a relay may belong to several links
// (it is released when the last of them ends).
struct LinkCondition {
  enum class Op { any, at_least, equal }; // "dev.pt", "dev.pt >= H", "dev.pt == HH"
  std::string device, point;
  Op op = Op::any;
  std::string level; // "H", "HH", "L", "LL" (empty for any)
  std::string text;  // as written
  SourcePos pos;
};
struct LinkAction {
  std::string device, point;
  values::Value value;   // written while the link is active (bool, integer or number)
  values::Value release; // written when it ends (default 0, or false for a boolean value)
  SourcePos pos;
};
struct Link {
  std::string name; // `name`, else link<N> (1-based)
  std::vector<LinkCondition> when;
  std::vector<LinkAction> then;
  SourcePos pos;
};

struct Site {
  std::string name;
  std::filesystem::path file;          // the site file as given to load_site
  std::filesystem::path catalog;       // [site] catalog, else the catalog directory used (if any)
  std::map<std::string, Model> models; // every model loaded (catalog + site)
  std::vector<Port> ports;
  std::vector<Link> links;

  const Port* find_port(std::string_view name) const;
  // Device by name; with its port when `port` is given.
  const Device* find_device(std::string_view name, const Port** port = nullptr) const;
};

// Where models a site names but does not define are looked for.
struct LoadOptions {
  std::filesystem::path models_dir; // --models DIR: searched first, instead of $IOT_MODELS
  bool beside_site = true;          // search models/ beside the site file (off in quick mode: there is none)
};

// The model catalog's search order (docs/config.md, iot-site(5)); only existing
// directories are listed, and a model name is taken from the first that defines it:
//  1. options.models_dir (--models DIR), else $IOT_MODELS;
//  2. models/ beside the site file (`site_dir`), when options.beside_site;
//  3. $XDG_DATA_HOME/iot/models (default ~/.local/share/iot/models);
//  4. the installed catalog, <prefix>/share/iot/models, compiled in from CMake's install
//     prefix; a tool run from its build tree uses the source tree's examples/models instead.
// No parent directories are searched: a models/ folder someone plants above yours is never read.
std::vector<std::filesystem::path> catalog_dirs(const std::filesystem::path& site_dir, const LoadOptions& options);
// Every model of the *.toml files in `dirs`, the first definition of a name winning.
std::map<std::string, Model> load_catalog(const std::vector<std::filesystem::path>& dirs);

// Loads and validates a site file. Models: [[model]] in the file and the files in
// [site].models (relative to the site file), then the catalog (catalog_dirs above),
// loaded directory by directory only while a device names a model not found yet.
Site load_site(const std::filesystem::path& path, const LoadOptions& options = {});
// Same from text; `file` names it in messages and resolves relative paths.
Site parse_site(std::string_view text, const std::filesystem::path& file, const LoadOptions& options = {});

// The text of a site file with the endpoints of a running simulator (iot-sim --site-out), the
// rest kept as written (comments, layout): each named port's url replaced, relative file
// names ([site] models, generator files) made absolute and [site] catalog set to `catalog`
// (when not empty), so the result loads from any directory.
struct SiteRewrite {
  std::map<std::string, std::string> port_urls; // port name -> url
  std::filesystem::path catalog;
};
std::string rewrite_site(std::string_view text, const std::filesystem::path& file, const SiteRewrite& rewrite);

// Loads one catalog file of [[model]] entries (for tools that only need models).
std::map<std::string, Model> load_models(const std::filesystem::path& path);

// The point name pattern expansion used by `repeat`: "ch{n}" with n = 1..N;
// "{n0}" counts from 0 and "{n:02}" pads: "ch{n:02}" -> ch01.
std::string expand_name(std::string_view pattern, std::uint32_t n);

} // namespace iot::config
