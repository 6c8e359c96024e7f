#include "iot/record/fields.hpp"

#include <array>
#include <utility>

namespace iot {

namespace {

namespace f = fields;

// In the order the writers write them (docs/record-format.md).
constexpr std::string_view k_common[] = {f::ts, f::kind, f::udp, f::stream, f::seq};
constexpr std::string_view k_frame[] = {
    f::src,        f::dst,         f::framing,      f::direction,    f::unit,          f::fc,       f::fc_name,
    f::addr,       f::count,       f::byte_count,   f::sub_function, f::data,          f::and_mask, f::or_mask,
    f::write_addr, f::write_count, f::write_values, f::server_id,    f::run_indicator, f::mei_type, f::read_code,
    f::object_id,  f::conformity,  f::more_follows, f::next_object,  f::objects,       f::values,   f::exception,
    f::code,       f::name,        f::crc_ok,       f::tid,          f::hex,           f::error,    f::port,
    f::device,     f::latency_ms,  f::status,       f::faults,       f::reply_hex};
constexpr std::string_view k_reading[] = {f::src,   f::port, f::unit, f::device,  f::point, f::addr,
                                          f::value, f::raw,  f::uom,  f::quality, f::error, f::alarm};
constexpr std::string_view k_status[] = {f::src, f::port, f::unit, f::device, f::state, f::reason};
constexpr std::string_view k_alarm[] = {f::port,     f::unit, f::device, f::point, f::state, f::level,
                                        f::previous, f::type, f::value,  f::limit, f::uom};
constexpr std::string_view k_mqtt[] = {f::topic,
                                       f::payload,
                                       f::payload_b64,
                                       f::qos,
                                       f::retain,
                                       f::properties,
                                       f::payload_format_indicator,
                                       f::message_expiry_interval,
                                       f::content_type,
                                       f::response_topic,
                                       f::correlation_data,
                                       f::correlation_data_b64,
                                       f::subscription_identifier,
                                       f::topic_alias,
                                       f::user,
                                       f::reason};
constexpr std::string_view k_stats[] = {f::tool,
                                        f::command,
                                        f::port,
                                        f::stream,
                                        f::requests,
                                        f::answers,
                                        f::timeouts,
                                        f::crc_errors,
                                        f::exceptions,
                                        f::errors,
                                        f::late,
                                        f::mismatch,
                                        f::latency_mean_ms,
                                        f::latency_p99_ms,
                                        f::bus_utilization,
                                        f::duration_s,
                                        f::faults,
                                        f::writes,
                                        f::unknown_unit,
                                        f::bad_frames,
                                        f::connections,
                                        f::commands,
                                        f::meters,
                                        f::meters_connected,
                                        f::logins,
                                        f::paras,
                                        f::hearts,
                                        f::datas,
                                        f::downlinks,
                                        f::replies,
                                        f::refused,
                                        f::times,
                                        f::alarms,
                                        f::births,
                                        f::lines,
                                        f::skipped,
                                        f::published,
                                        f::acknowledged,
                                        f::resent,
                                        f::dropped,
                                        f::dead_letter,
                                        f::connects,
                                        f::queued,
                                        f::in_flight,
                                        f::spool_bytes,
                                        f::spool_messages,
                                        f::received,
                                        f::written,
                                        f::lag_ms,
                                        f::records,
                                        f::sent,
                                        f::targets,
                                        f::too_big,
                                        f::bad_lines,
                                        f::send_errors,
                                        f::datagrams,
                                        f::not_records,
                                        f::senders,
                                        f::streams,
                                        f::lost};
constexpr std::string_view k_ready[] = {f::tool, f::endpoints, f::port, f::url, f::path, f::devices};
constexpr std::string_view k_ack[] = {f::ok,    f::command, f::id,    f::device, f::port,
                                      f::point, f::devices, f::value, f::error};
constexpr std::string_view k_write[] = {f::port,  f::unit,       f::device, f::point,   f::addr,      f::fc,
                                        f::value, f::raw,        f::ok,     f::quality, f::exception, f::code,
                                        f::error, f::latency_ms, f::cause,  f::points};
constexpr std::string_view k_scan[] = {f::target,  f::probes,   f::found, f::duration_s,
                                       f::stopped, f::settings, f::units};
constexpr std::string_view k_device_info[] = {
    f::port,      f::unit,          f::conformity,     f::objects,        f::vendor_name,           f::product_code,
    f::revision,  f::vendor_url,    f::product_name,   f::model_name,     f::user_application_name, f::device_id_error,
    f::server_id, f::run_indicator, f::server_id_text, f::server_id_error};
constexpr std::string_view k_aggregate[] = {f::device, f::point, f::interval_s, f::count, f::min,
                                            f::max,    f::mean,  f::last,       f::uom};
constexpr std::string_view k_port[] = {f::name,         f::description, f::transport, f::usb,
                                       f::manufacturer, f::product,     f::serial};

constexpr std::pair<std::string_view, std::span<const std::string_view>> k_kinds[] = {{"", k_common},
                                                                                      {"frame", k_frame},
                                                                                      {"reading", k_reading},
                                                                                      {"status", k_status},
                                                                                      {"alarm", k_alarm},
                                                                                      {"mqtt", k_mqtt},
                                                                                      {"stats", k_stats},
                                                                                      {"ready", k_ready},
                                                                                      {"ack", k_ack},
                                                                                      {"write", k_write},
                                                                                      {"scan", k_scan},
                                                                                      {"device_info", k_device_info},
                                                                                      {"aggregate", k_aggregate},
                                                                                      {"port", k_port}};

constexpr auto k_kind_names = [] {
  std::array<std::string_view, std::size(k_kinds)> names{};
  for (std::size_t i = 0; i < names.size(); ++i)
    names[i] = k_kinds[i].first;
  return names;
}();

} // namespace

std::span<const std::string_view> record_fields(std::string_view kind) {
  for (const auto& [name, list] : k_kinds)
    if (name == kind) return list;
  return {};
}

std::span<const std::string_view> record_kinds_with_fields() { return k_kind_names; }

} // namespace iot
