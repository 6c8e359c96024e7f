#pragma once
// How `pub` turns one stdin line into one MQTT message:
//  - an `mqtt` record ({"kind":"mqtt","topic":…,"payload"|"payload_b64":…,
//    "qos":…,"retain":…}, or the same without "kind") is sent as it says;
//  - any other record goes to the topic template (-t 'site/{device}/{point}')
//    filled from its fields, with the whole line as payload or, with
//    --payload FIELD, that one field (a string as its bytes, anything else as JSON).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iot/mqtt/options.hpp"
#include "iot/record/record.hpp"

namespace iot::bridge {

// A topic with {field} placeholders. "{{" and "}}" stand for literal braces.
class TopicTemplate {
public:
  TopicTemplate() = default;
  // Throws usage_error on an unbalanced brace or an empty field name.
  explicit TopicTemplate(std::string_view text);
  bool empty() const { return m_parts.empty(); }
  // Renders over `record`; on failure returns false and sets `error`. A field
  // value's '/', '+', '#', NUL and '%' are escaped as %2F, %2B, %23, %00 and
  // %25, so that one field is one topic level. With `kind_fallback`, a
  // placeholder whose field the record lacks becomes the record's kind, and a
  // second missing one is left out with the '/' before it.
  bool render(simdjson::dom::object record, std::string& out, std::string& error,
              std::string_view kind_fallback = {}) const;

private:
  struct Part {
    bool field = false;
    std::string text; // literal text or the field name
  };
  std::vector<Part> m_parts;
};

using OutMessage = mqtt::Message;

struct MapOptions {
  std::string topic_template;                   // empty: only mqtt records are accepted
  std::map<std::string, std::string> topic_for; // record kind -> its own template (--topic-for)
  std::string payload_field;                    // empty: the whole line
  int qos = 0;
  bool retain = false;
  // -q was given: it (and -r when given) wins over an mqtt record's own "qos"
  // and "retain", unless qos_from_record.
  bool qos_given = false;
  bool qos_from_record = false;
  std::size_t max_payload = 1 << 20; // --max-payload; MQTT allows 268435455 (§2.2.3), brokers far less
};

class MessageMapper {
public:
  explicit MessageMapper(MapOptions options);
  // Maps `line` (which LineReader pads for simdjson). Returns false and sets
  // `error` (without the line number) when the line must be skipped.
  bool map(std::string_view line, std::size_t line_number, OutMessage& out, std::string& error);
  void set_max_payload(std::size_t n) { m_options.max_payload = n; }

private:
  MapOptions m_options;
  TopicTemplate m_template;
  std::map<std::string, TopicTemplate, std::less<>> m_kind_templates;
  RecordParser m_parser;
};

} // namespace iot::bridge
