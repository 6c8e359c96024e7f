#pragma once
// The names of record fields: the one place that spells them
// (docs/record-format.md, docs/record.schema.json). Writers and readers of
// records use these constants; tests/unit/test_record_fields.cpp checks them
// against the schema in both directions, per kind.
#include <span>
#include <string_view>

namespace iot::fields {

inline constexpr std::string_view acknowledged{"acknowledged"};
inline constexpr std::string_view addr{"addr"};
inline constexpr std::string_view alarm{"alarm"};
inline constexpr std::string_view alarms{"alarms"};
inline constexpr std::string_view and_mask{"and_mask"};
inline constexpr std::string_view answers{"answers"};
inline constexpr std::string_view bad_frames{"bad_frames"};
inline constexpr std::string_view bad_lines{"bad_lines"};
inline constexpr std::string_view births{"births"};
inline constexpr std::string_view bus_utilization{"bus_utilization"};
inline constexpr std::string_view byte_count{"byte_count"};
inline constexpr std::string_view cause{"cause"};
inline constexpr std::string_view code{"code"};
inline constexpr std::string_view command{"command"};
inline constexpr std::string_view commands{"commands"};
inline constexpr std::string_view conformity{"conformity"};
inline constexpr std::string_view connections{"connections"};
inline constexpr std::string_view connects{"connects"};
inline constexpr std::string_view content_type{"content_type"};
inline constexpr std::string_view correlation_data{"correlation_data"};
inline constexpr std::string_view correlation_data_b64{"correlation_data_b64"};
inline constexpr std::string_view count{"count"};
inline constexpr std::string_view crc_errors{"crc_errors"};
inline constexpr std::string_view crc_ok{"crc_ok"};
inline constexpr std::string_view data{"data"};
inline constexpr std::string_view datagrams{"datagrams"};
inline constexpr std::string_view datas{"datas"};
inline constexpr std::string_view dead_letter{"dead_letter"};
inline constexpr std::string_view description{"description"};
inline constexpr std::string_view device{"device"};
inline constexpr std::string_view device_id_error{"device_id_error"};
inline constexpr std::string_view devices{"devices"};
inline constexpr std::string_view direction{"direction"};
inline constexpr std::string_view downlinks{"downlinks"};
inline constexpr std::string_view dropped{"dropped"};
inline constexpr std::string_view dst{"dst"};
inline constexpr std::string_view duration_s{"duration_s"};
inline constexpr std::string_view endpoints{"endpoints"};
inline constexpr std::string_view error{"error"};
inline constexpr std::string_view errors{"errors"};
inline constexpr std::string_view exception{"exception"};
inline constexpr std::string_view exceptions{"exceptions"};
inline constexpr std::string_view faults{"faults"};
inline constexpr std::string_view fc{"fc"};
inline constexpr std::string_view fc_name{"fc_name"};
inline constexpr std::string_view found{"found"};
inline constexpr std::string_view framing{"framing"};
inline constexpr std::string_view hearts{"hearts"};
inline constexpr std::string_view hex{"hex"};
inline constexpr std::string_view id{"id"};
inline constexpr std::string_view in_flight{"in_flight"};
inline constexpr std::string_view interval_s{"interval_s"};
inline constexpr std::string_view kind{"kind"};
inline constexpr std::string_view lag_ms{"lag_ms"};
inline constexpr std::string_view last{"last"};
inline constexpr std::string_view late{"late"};
inline constexpr std::string_view latency_mean_ms{"latency_mean_ms"};
inline constexpr std::string_view latency_ms{"latency_ms"};
inline constexpr std::string_view latency_p99_ms{"latency_p99_ms"};
inline constexpr std::string_view level{"level"};
inline constexpr std::string_view limit{"limit"};
inline constexpr std::string_view lines{"lines"};
inline constexpr std::string_view logins{"logins"};
inline constexpr std::string_view lost{"lost"};
inline constexpr std::string_view manufacturer{"manufacturer"};
inline constexpr std::string_view max{"max"};
inline constexpr std::string_view mean{"mean"};
inline constexpr std::string_view mei_type{"mei_type"};
inline constexpr std::string_view message_expiry_interval{"message_expiry_interval"};
inline constexpr std::string_view meters{"meters"};
inline constexpr std::string_view meters_connected{"meters_connected"};
inline constexpr std::string_view min{"min"};
inline constexpr std::string_view mismatch{"mismatch"};
inline constexpr std::string_view model_name{"model_name"};
inline constexpr std::string_view more_follows{"more_follows"};
inline constexpr std::string_view name{"name"};
inline constexpr std::string_view next_object{"next_object"};
inline constexpr std::string_view not_records{"not_records"};
inline constexpr std::string_view object_id{"object_id"};
inline constexpr std::string_view objects{"objects"};
inline constexpr std::string_view ok{"ok"};
inline constexpr std::string_view or_mask{"or_mask"};
inline constexpr std::string_view paras{"paras"};
inline constexpr std::string_view path{"path"};
inline constexpr std::string_view payload{"payload"};
inline constexpr std::string_view payload_b64{"payload_b64"};
inline constexpr std::string_view payload_format_indicator{"payload_format_indicator"};
inline constexpr std::string_view point{"point"};
inline constexpr std::string_view points{"points"};
inline constexpr std::string_view port{"port"};
inline constexpr std::string_view previous{"previous"};
inline constexpr std::string_view probes{"probes"};
inline constexpr std::string_view product{"product"};
inline constexpr std::string_view product_code{"product_code"};
inline constexpr std::string_view product_name{"product_name"};
inline constexpr std::string_view properties{"properties"};
inline constexpr std::string_view published{"published"};
inline constexpr std::string_view qos{"qos"};
inline constexpr std::string_view quality{"quality"};
inline constexpr std::string_view queued{"queued"};
inline constexpr std::string_view raw{"raw"};
inline constexpr std::string_view read_code{"read_code"};
inline constexpr std::string_view reason{"reason"};
inline constexpr std::string_view received{"received"};
inline constexpr std::string_view records{"records"};
inline constexpr std::string_view refused{"refused"};
inline constexpr std::string_view replies{"replies"};
inline constexpr std::string_view reply_hex{"reply_hex"};
inline constexpr std::string_view requests{"requests"};
inline constexpr std::string_view resent{"resent"};
inline constexpr std::string_view response_topic{"response_topic"};
inline constexpr std::string_view retain{"retain"};
inline constexpr std::string_view revision{"revision"};
inline constexpr std::string_view run_indicator{"run_indicator"};
inline constexpr std::string_view send_errors{"send_errors"};
inline constexpr std::string_view senders{"senders"};
inline constexpr std::string_view sent{"sent"};
inline constexpr std::string_view seq{"seq"};
inline constexpr std::string_view serial{"serial"};
inline constexpr std::string_view server_id{"server_id"};
inline constexpr std::string_view server_id_error{"server_id_error"};
inline constexpr std::string_view server_id_text{"server_id_text"};
inline constexpr std::string_view settings{"settings"};
inline constexpr std::string_view skipped{"skipped"};
inline constexpr std::string_view spool_bytes{"spool_bytes"};
inline constexpr std::string_view spool_messages{"spool_messages"};
inline constexpr std::string_view src{"src"};
inline constexpr std::string_view state{"state"};
inline constexpr std::string_view status{"status"};
inline constexpr std::string_view stopped{"stopped"};
inline constexpr std::string_view stream{"stream"};
inline constexpr std::string_view streams{"streams"};
inline constexpr std::string_view sub_function{"sub_function"};
inline constexpr std::string_view subscription_identifier{"subscription_identifier"};
inline constexpr std::string_view target{"target"};
inline constexpr std::string_view targets{"targets"};
inline constexpr std::string_view tid{"tid"};
inline constexpr std::string_view timeouts{"timeouts"};
inline constexpr std::string_view times{"times"};
inline constexpr std::string_view too_big{"too_big"};
inline constexpr std::string_view tool{"tool"};
inline constexpr std::string_view topic{"topic"};
inline constexpr std::string_view topic_alias{"topic_alias"};
inline constexpr std::string_view transport{"transport"};
inline constexpr std::string_view ts{"ts"};
inline constexpr std::string_view type{"type"};
inline constexpr std::string_view udp{"udp"};
inline constexpr std::string_view unit{"unit"};
inline constexpr std::string_view units{"units"};
inline constexpr std::string_view unknown_unit{"unknown_unit"};
inline constexpr std::string_view uom{"uom"};
inline constexpr std::string_view url{"url"};
inline constexpr std::string_view usb{"usb"};
inline constexpr std::string_view user{"user"};
inline constexpr std::string_view user_application_name{"user_application_name"};
inline constexpr std::string_view value{"value"};
inline constexpr std::string_view values{"values"};
inline constexpr std::string_view vendor_name{"vendor_name"};
inline constexpr std::string_view vendor_url{"vendor_url"};
inline constexpr std::string_view write_addr{"write_addr"};
inline constexpr std::string_view write_count{"write_count"};
inline constexpr std::string_view write_values{"write_values"};
inline constexpr std::string_view writes{"writes"};
inline constexpr std::string_view written{"written"};

} // namespace iot::fields

namespace iot {

// The fields a record of kind `kind` may carry, nested ones included (the
// members of `endpoints`, `settings`, `exception` …); "" gives those every
// record may carry (ts, kind, the udp envelope). Empty for a kind without fields.
std::span<const std::string_view> record_fields(std::string_view kind);

// The kinds record_fields() knows, "" first.
std::span<const std::string_view> record_kinds_with_fields();

} // namespace iot
