#include "iot/bridge/message_map.hpp"

#include <fmt/format.h>

#include "iot/core/error.hpp"
#include "iot/mqtt/codec.hpp"
#include "iot/mqtt/topic.hpp"

namespace iot::bridge {

using mqtt::base64_decode;
using mqtt::valid_topic_name;

TopicTemplate::TopicTemplate(std::string_view text) {
  std::string literal;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal.push_back('}');
      ++i;
    } else if (c == '{') {
      const auto close = text.find('}', i);
      if (close == std::string_view::npos) throw usage_error(fmt::format("topic template '{}': unclosed '{{'", text));
      std::string name(text.substr(i + 1, close - i - 1));
      if (name.empty() || name.find('{') != std::string::npos)
        throw usage_error(fmt::format("topic template '{}': bad field name '{}'", text, name));
      if (!literal.empty()) m_parts.push_back({false, std::move(literal)});
      literal.clear();
      m_parts.push_back({true, std::move(name)});
      i = close;
    } else if (c == '}') {
      throw usage_error(fmt::format("topic template '{}': '}}' without '{{'", text));
    } else {
      literal.push_back(c);
    }
  }
  if (!literal.empty()) m_parts.push_back({false, std::move(literal)});
}

namespace {

// One field value as one topic level (see TopicTemplate::render).
void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
    case '/': out += "%2F"; break;
    case '+': out += "%2B"; break;
    case '#': out += "%23"; break;
    case '%': out += "%25"; break;
    case '\0': out += "%00"; break;
    default: out.push_back(c);
    }
  }
}

} // namespace

bool TopicTemplate::render(simdjson::dom::object record, std::string& out, std::string& error,
                           std::string_view kind_fallback) const {
  out.clear();
  bool fell_back = false;
  for (const Part& p : m_parts) {
    if (!p.field) {
      out += p.text;
      continue;
    }
    simdjson::dom::element e;
    if (record.at_key(p.text).get(e) != simdjson::SUCCESS) {
      if (kind_fallback.empty()) {
        error = fmt::format("field '{}' of the topic template is missing", p.text);
        return false;
      }
      if (!fell_back) {
        out += kind_fallback;
        fell_back = true;
      } else if (!out.empty() && out.back() == '/') {
        out.pop_back();
      }
      continue;
    }
    switch (e.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      if (s.empty()) {
        error = fmt::format("field '{}' of the topic template is empty", p.text);
        return false;
      }
      append_escaped(out, s);
      break;
    }
    case simdjson::dom::element_type::INT64: out += std::to_string(e.get_int64().value_unsafe()); break;
    case simdjson::dom::element_type::UINT64: out += std::to_string(e.get_uint64().value_unsafe()); break;
    case simdjson::dom::element_type::DOUBLE:
      append_escaped(out, fmt::format("{}", e.get_double().value_unsafe()));
      break;
    case simdjson::dom::element_type::BOOL: out += e.get_bool().value_unsafe() ? "true" : "false"; break;
    default: error = fmt::format("field '{}' of the topic template is not a string or number", p.text); return false;
    }
  }
  return valid_topic_name(out, error);
}

MessageMapper::MessageMapper(MapOptions options) : m_options(std::move(options)) {
  if (!m_options.topic_template.empty()) m_template = TopicTemplate(m_options.topic_template);
  for (const auto& [kind, text] : m_options.topic_for)
    m_kind_templates.emplace(kind, TopicTemplate(text));
}

namespace {

void payload_from_element(simdjson::dom::element e, std::string& out) {
  if (e.type() == simdjson::dom::element_type::STRING) {
    out.assign(e.get_string().value_unsafe());
  } else {
    out = simdjson::minify(e);
  }
}

} // namespace

bool MessageMapper::map(std::string_view line, std::size_t line_number, OutMessage& out, std::string& error) {
  simdjson::dom::object rec;
  try {
    rec = m_parser.parse(line, line_number);
  } catch (const Error&) {
    error = "not a JSON object";
    return false;
  }
  const auto kind = get_string(rec, fields::kind);
  const bool is_mqtt = (kind && *kind == "mqtt") || (!kind && get_string(rec, fields::topic) &&
                                                     (rec.at_key(fields::payload).error() == simdjson::SUCCESS ||
                                                      rec.at_key(fields::payload_b64).error() == simdjson::SUCCESS));
  out.qos = m_options.qos;
  out.retain = m_options.retain;
  if (is_mqtt) {
    const auto topic = get_string(rec, fields::topic);
    if (!topic) {
      error = "mqtt record without a string \"topic\"";
      return false;
    }
    out.topic.assign(*topic);
    if (!valid_topic_name(out.topic, error)) return false;
    simdjson::dom::element p;
    if (rec.at_key(fields::payload).get(p) == simdjson::SUCCESS) {
      payload_from_element(p, out.payload);
    } else if (const auto b64 = get_string(rec, fields::payload_b64)) {
      auto bytes = base64_decode(*b64);
      if (!bytes) {
        error = "\"payload_b64\" is not base64";
        return false;
      }
      out.payload = std::move(*bytes);
    } else {
      out.payload.clear(); // an mqtt record without payload: an empty message (e.g. to clear a retained topic)
    }
    simdjson::dom::element q;
    // The command line's -q and -r win over the record's fields (a `sub | pub
    // -q 1 -r` must not downgrade), unless --qos-from-record.
    if (rec.at_key(fields::qos).get(q) == simdjson::SUCCESS) {
      int64_t v = -1;
      if (q.get_int64().get(v) != simdjson::SUCCESS || v < 0 || v > 2) {
        error = "\"qos\" must be 0, 1 or 2";
        return false;
      }
      if (m_options.qos_from_record || !m_options.qos_given) out.qos = static_cast<int>(v);
    }
    simdjson::dom::element r;
    if (rec.at_key(fields::retain).get(r) == simdjson::SUCCESS) {
      bool b = false;
      if (r.get_bool().get(b) != simdjson::SUCCESS) {
        error = "\"retain\" must be true or false";
        return false;
      }
      if (m_options.qos_from_record || !m_options.retain) out.retain = b;
    }
  } else {
    const std::optional<std::string_view> kind_field = get_string(rec, fields::kind);
    const std::string_view kind = kind_field ? *kind_field : std::string_view();
    if (const auto own = m_kind_templates.find(kind); own != m_kind_templates.end()) {
      if (!own->second.render(rec, out.topic, error)) return false;
    } else if (m_template.empty()) {
      error = kind.empty()
                  ? "not an mqtt record, and no topic template (-t) was given"
                  : fmt::format("no topic template for a '{}' record (-t or --topic-for {}=TEMPLATE)", kind, kind);
      return false;
    } else {
      // Readings must fill the template; other kinds (status, stats, event…)
      // put their kind where a field they lack would go (iot-mqtt-bridge(1)).
      const std::string_view fallback = kind == "reading" ? std::string_view() : kind;
      if (!m_template.render(rec, out.topic, error, fallback)) return false;
    }
    if (m_options.payload_field.empty()) {
      out.payload.assign(line);
    } else {
      simdjson::dom::element p;
      if (rec.at_key(m_options.payload_field).get(p) != simdjson::SUCCESS) {
        error = fmt::format("payload field '{}' is missing", m_options.payload_field);
        return false;
      }
      payload_from_element(p, out.payload);
    }
  }
  if (out.payload.size() > m_options.max_payload) {
    error = fmt::format(
        "payload of {} bytes is larger than the maximum of {} bytes (--max-payload or the broker's limit); refused",
        out.payload.size(), m_options.max_payload);
    return false;
  }
  return true;
}

} // namespace iot::bridge
