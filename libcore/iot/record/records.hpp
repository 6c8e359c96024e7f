#pragma once
// Typed records: one struct per kind (docs/record-format.md), one writer of each
// into a JsonWriter and one reader of each from a parsed line. Writers write the
// fields in the documented order and leave out absent optional ones; readers
// return the record, or an error that names the offending field.
//
// Records are views: their strings and arrays point into the caller's data (a
// writer's source, or the parsed document and a ReadScratch for a reader) and are
// valid as long as those are.
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "iot/core/time.hpp"
#include "iot/record/fields.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/record/record.hpp"

namespace iot::record {

// A value as records carry it (`value` of a reading, a write, an ack): null, a
// boolean, an exact integer, a number or a text. The same type as values::Value.
using Value = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string>;
// Writes `v`: null for monostate; NaN and infinities as null (JsonWriter).
void write_value(JsonWriter& w, const Value& v);

// Each kind below comes with its writer (a whole record, begin_record() to
// end_object()) and its reader of a parsed record of that kind. Readers check
// `kind`, `ts` and the fields of the kind; unknown fields are ignored
// (docs/record-format.md).

// What a reader returns: the record, or why the line is not one.
template <typename T> struct ReadResult {
  std::optional<T> record{};
  std::string error{}; // "field \"unit\": not an integer 0-255"

  explicit operator bool() const { return record.has_value(); }
};

// Storage for the arrays of records read (defined below); reuse it, one per reader.
struct ReadScratch;

struct Reading {
  TimePoint ts{};
  std::string_view src{}; // context some tools add (iot-mqtt-bridge acrel: the topic)
  std::string_view port{};
  std::optional<unsigned> unit{};
  std::string_view device{}, point{}, addr{};
  Value value{};
  std::span<const std::uint16_t> raw{}; // register words, or bits as 0/1 with raw_bits; empty: absent
  bool raw_bits = false;
  std::string_view uom{};
  Quality quality = Quality::ok;
  std::string_view error{};
  std::string_view alarm{}; // "H", "HH", "L", "LL"; empty when not in alarm
};
void write(JsonWriter& w, const Reading& r);
ReadResult<Reading> read_reading(simdjson::dom::object obj, ReadScratch& scratch);

struct Status {
  TimePoint ts{};
  std::string_view src{}, port{};
  std::optional<unsigned> unit{}; // absent for port-level states (connected, disconnected)
  std::string_view device{}, state{}, reason{};
};
void write(JsonWriter& w, const Status& r);
ReadResult<Status> read_status(simdjson::dom::object obj);

struct Alarm {
  TimePoint ts{};
  std::string_view port{};
  std::optional<unsigned> unit{};
  std::string_view device{}, point{}, state{};
  std::string_view level{};                   // empty: null (cleared)
  std::optional<std::string_view> previous{}; // the level before a change or clearing (iot-poll)
  std::string_view type{};
  double value = 0, limit = 0; // NaN: null
  std::string_view uom{};
};
void write(JsonWriter& w, const Alarm& r);
ReadResult<Alarm> read_alarm(simdjson::dom::object obj);

struct Write {
  TimePoint ts{};
  std::string_view port{};
  std::optional<unsigned> unit{};
  std::string_view device{}, point{}, addr{};
  std::optional<unsigned> fc{};
  std::span<const Value> value{}; // the value requested; empty: absent
  bool value_list = false;        // several values written in a row: a JSON array
  std::span<const std::uint16_t> raw{};
  std::optional<bool> ok{};
  std::string_view quality{}; // as for a reading, or "sent"; empty: absent
  std::optional<unsigned> exception_code{};
  std::string_view error{};
  std::optional<double> latency_ms{};
  std::string_view cause{};
  // iot-sim: the new engineering value of each point written, by point name.
  bool has_points = false;
  std::span<const std::pair<std::string_view, Value>> points{};
};
void write(JsonWriter& w, const Write& r);
ReadResult<Write> read_write(simdjson::dom::object obj, ReadScratch& scratch);

struct Frame {
  TimePoint ts{};
  std::string_view src{}, dst{}; // captures: "ip:port"
  // The decoded frame's members (framing … error) as JSON text without braces, as
  // modbus::frame_members() renders them; when empty, the typed fields below are written.
  std::string_view members{};
  std::string_view framing{}, direction{};
  std::optional<unsigned> unit{}, fc{};
  std::string_view fc_name{};
  std::optional<unsigned> addr{}, count{};
  std::optional<bool> crc_ok{};
  std::optional<unsigned> tid{};
  std::string_view hex{};
  std::string_view error{};
  std::string_view port{}, device{};
  std::optional<double> latency_ms{};
  std::string_view status{};                  // iot-poll --trace: why bytes made no answer
  std::span<const std::string_view> faults{}; // iot-sim: the faults applied
  std::string_view reply_hex{};               // iot-sim: the reply sent
};
void write(JsonWriter& w, const Frame& r);
ReadResult<Frame> read_frame(simdjson::dom::object obj, ReadScratch& scratch);

struct Mqtt {
  // How the payload is carried: as JSON (`payload`, the minified JSON text), as a
  // string (`payload`, UTF-8 text) or in base64 (`payload_b64`).
  enum class Form { json, text, base64 };
  TimePoint ts{};
  std::string_view topic{};
  std::string_view payload{}; // JSON text, UTF-8 text or base64, by `form`
  Form form = Form::text;
  int qos = 0;
  bool retain = false;
  std::string_view properties_json{}; // MQTT 5 properties as a JSON object; empty: absent
  std::string_view reason{};          // dead letters: why the message was not sent
};
void write(JsonWriter& w, const Mqtt& r);
ReadResult<Mqtt> read_mqtt(simdjson::dom::object obj, std::string& buffer);

// A stats counter: a count or a measure.
struct Counter {
  std::string_view name{}; // one of iot::fields
  std::variant<std::uint64_t, double> value{};
};

struct Stats {
  TimePoint ts{};
  std::string_view tool{}, command{}, port{}, stream{};
  std::span<const Counter> counters{}; // in the order written
};
void write(JsonWriter& w, const Stats& r);
ReadResult<Stats> read_stats(simdjson::dom::object obj, ReadScratch& scratch);

struct Endpoint {
  std::string_view port{}, url{}, path{};
  std::uint64_t devices = 0;
};

struct Ready {
  TimePoint ts{};
  std::string_view tool{};
  std::span<const Endpoint> endpoints{};
  std::optional<std::uint64_t> devices{};
};
void write(JsonWriter& w, const Ready& r);
ReadResult<Ready> read_ready(simdjson::dom::object obj, ReadScratch& scratch);

struct Ack {
  TimePoint ts{};
  bool ok = false;
  std::string_view command{}, id{}, device{}, port{}, point{};
  std::optional<std::uint64_t> devices{};
  std::optional<Value> value{};
  std::string_view error{};
};
void write(JsonWriter& w, const Ack& r);
ReadResult<Ack> read_ack(simdjson::dom::object obj);

// The end of an `iot-poll scan`. It owns its strings: it is built while the scan runs.
struct Scan {
  struct Setting {
    std::string settings{};            // "9600 8E1", or the target of a network scan
    std::size_t probes = 0;            // unit ids tried
    std::vector<std::uint8_t> units{}; // unit ids that answered
  };
  TimePoint ts{};
  std::string target{};
  std::vector<Setting> settings{}; // in the order tried
  std::size_t probes = 0, found = 0;
  double duration_s = 0;
  std::string stopped{}; // "first" (--first), "signal", or empty when every probe was made
};
void write(JsonWriter& w, const Scan& r);
ReadResult<Scan> read_scan(simdjson::dom::object obj);

struct DeviceObject {
  std::uint8_t id = 0;
  std::string_view value{};
};

struct DeviceInfo {
  TimePoint ts{};
  std::string_view port{};
  unsigned unit = 0;
  std::optional<unsigned> conformity{};
  std::span<const DeviceObject> objects{}; // by id
  std::string_view device_id_error{};
  std::optional<std::span<const std::uint8_t>> server_id{};
  std::optional<bool> run_indicator{};
  std::string_view server_id_text{};
  std::string_view server_id_error{};
};
void write(JsonWriter& w, const DeviceInfo& r);
ReadResult<DeviceInfo> read_device_info(simdjson::dom::object obj, ReadScratch& scratch);
// The field of a basic or regular device identification object ([AP] §6.21):
// "vendor_name" …; empty for the others.
std::string_view device_object_field(std::uint8_t id);

struct Aggregate {
  TimePoint ts{}; // the bucket's start
  std::string_view device{}, point{};
  std::variant<std::int64_t, double> interval_s{};
  std::uint64_t count = 0;
  double min = 0, max = 0, mean = 0, last = 0;
  std::string_view uom{};
};
void write(JsonWriter& w, const Aggregate& r);
ReadResult<Aggregate> read_aggregate(simdjson::dom::object obj);

// A serial port (iot-decode sniff --list).
struct Port {
  TimePoint ts{};
  std::string_view name{}, description{}, transport{}, usb{}, manufacturer{}, product{}, serial{};
};
void write(JsonWriter& w, const Port& r);
ReadResult<Port> read_port(simdjson::dom::object obj);

// The envelope of a record sent over UDP (docs/record-format.md, "Records over UDP"),
// written and recognised exactly in this form: {"udp":{"stream":"ID","seq":N},"ts":…
inline constexpr std::string_view k_udp_envelope_head = R"({"udp":{"stream":")";
inline constexpr std::string_view k_udp_envelope_seq = R"(","seq":)";

// The `value` member of a write record as JSON text (for table and CSV output).
std::string write_value_text(const Write& r);

// Storage for the arrays of records read; reuse it, one per reader.
struct ReadScratch {
  std::vector<std::uint16_t> words{};
  std::vector<Value> values{};
  std::vector<std::pair<std::string_view, Value>> points{};
  std::vector<std::string_view> strings{};
  std::vector<Counter> counters{};
  std::vector<Endpoint> endpoints{};
  std::vector<DeviceObject> objects{};
  std::vector<std::uint8_t> bytes{};
};

} // namespace iot::record
