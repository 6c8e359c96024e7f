#include "iot/poll/info.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "iot/modbus/pdu.hpp"
#include "iot/modbus/spec.hpp"
#include "iot/poll/outcome.hpp"
#include "iot/record/json_writer.hpp"
#include "iot/record/records.hpp"

namespace iot::poll {

namespace mb = iot::modbus;

namespace {

// Read device id codes ([AP] §6.21): 01 basic, 02 regular, 03 extended (stream access).
constexpr std::uint8_t k_read_basic = 1, k_read_extended = 3;
// Answers followed for one read code: a device whose `more follows` never ends must not
// keep us here (the id space has 256 objects, each answer carries at least one).
constexpr int k_max_pages = 256;

// One request with retries after timeouts. On failure `error` (and `exception`) say why and
// the status for the exit code is returned; ExitCode::ok with `answer` filled otherwise.
ExitCode ask(transport::Client& client, std::uint8_t unit, const mb::Bytes& pdu, std::chrono::microseconds timeout,
             std::uint32_t retries, std::vector<std::uint8_t>& answer, std::string& error,
             std::optional<std::uint8_t>& exception) {
  transport::Reply reply;
  for (std::uint32_t attempt = 0; attempt <= retries; ++attempt) {
    reply = client.transact(unit, pdu, timeout);
    if (reply.status != transport::ReplyStatus::timeout) break;
  }
  if (reply.status != transport::ReplyStatus::ok) {
    error = reply.error.empty() ? std::string(transport::reply_status_name(reply.status)) : reply.error;
    return reply.status == transport::ReplyStatus::timeout ? ExitCode::timeout
           : reply.status == transport::ReplyStatus::io    ? ExitCode::io
                                                           : ExitCode::protocol;
  }
  answer = std::move(reply.pdu);
  if (!answer.empty() && (answer[0] & 0x80) && answer.size() >= 2) {
    exception = answer[1];
    error = fmt::format("exception {:02X} {}", answer[1], mb::exception_name(answer[1]));
    return ExitCode::device_exception;
  }
  return ExitCode::ok;
}

void read_identification(transport::Client& client, DeviceInfo& info, std::chrono::microseconds timeout,
                         std::uint32_t retries) {
  // Basic first: every device with FC 2B has it, and its conformity level says how far to go.
  std::uint8_t code = k_read_basic;
  std::uint8_t object = 0;
  for (int page = 0; page < k_max_pages; ++page) {
    const mb::Bytes pdu = mb::encode_device_id_request(code, object);
    std::vector<std::uint8_t> answer;
    std::string error;
    std::optional<std::uint8_t> exception;
    const ExitCode c = ask(client, info.unit, pdu, timeout, retries, answer, error, exception);
    if (c != ExitCode::ok) {
      // A higher category refused after the basic one worked: keep what we have.
      if (!info.objects.empty() && exception) return;
      info.id_error = std::move(error);
      info.id_exception = exception;
      keep_worst(info.result, c);
      return;
    }
    const mb::DecodedPdu d = mb::decode_pdu(answer, mb::Direction::response);
    if (!d.ok() || d.fc != static_cast<std::uint8_t>(mb::FunctionCode::read_device_identification) ||
        d.mei_type.value_or(0) != mb::k_mei_read_device_id) {
      info.id_error = d.ok() ? "answer is not a Read Device Identification response" : std::string(d.error);
      keep_worst(info.result, ExitCode::protocol);
      return;
    }
    if (!info.conformity) info.conformity = d.conformity;
    for (mb::DeviceIdObject o : d.objects())
      info.objects.emplace(o.id, std::string(o.value));
    if (d.more_follows.value_or(false)) {
      object = d.next_object.value_or(0);
      continue;
    }
    // This category is done: go on to the highest one the conformity level offers
    // (its low 7 bits: 1 basic, 2 regular, 3 extended).
    const std::uint8_t level = static_cast<std::uint8_t>(info.conformity.value_or(1) & 0x7F);
    const std::uint8_t top = std::min<std::uint8_t>(level, k_read_extended);
    if (code >= top) return;
    code = top;
    object = 0;
  }
  info.id_error = "the device kept saying more follows";
}

void read_server_id(transport::Client& client, DeviceInfo& info, std::chrono::microseconds timeout,
                    std::uint32_t retries) {
  const mb::Bytes pdu = mb::encode_report_server_id_request();
  std::vector<std::uint8_t> answer;
  std::string error;
  std::optional<std::uint8_t> exception;
  const ExitCode c = ask(client, info.unit, pdu, timeout, retries, answer, error, exception);
  if (c != ExitCode::ok) {
    info.server_id_error = std::move(error);
    info.server_id_exception = exception;
    keep_worst(info.result, c);
    return;
  }
  const mb::DecodedPdu d = mb::decode_pdu(answer, mb::Direction::response);
  if (!d.ok() || d.fc != static_cast<std::uint8_t>(mb::FunctionCode::report_server_id)) {
    info.server_id_error = d.ok() ? "answer is not a Report Server ID response" : std::string(d.error);
    keep_worst(info.result, ExitCode::protocol);
    return;
  }
  info.server_id = std::vector<std::uint8_t>(d.server_id.begin(), d.server_id.end());
  info.run_indicator = d.run_indicator;
}

} // namespace

std::string_view device_object_name(std::uint8_t id) { return record::device_object_field(id); }

DeviceInfo read_device_info(transport::Client& client, std::uint8_t unit, std::chrono::microseconds timeout,
                            std::uint32_t retries) {
  DeviceInfo info;
  info.unit = unit;
  read_identification(client, info, timeout, retries);
  read_server_id(client, info, timeout, retries);
  // Either part is enough: many devices have only one of them.
  if (!info.objects.empty() || info.server_id) info.result = ExitCode::ok;
  return info;
}

std::string device_info_json(TimePoint ts, std::string_view port, const DeviceInfo& info) {
  std::vector<record::DeviceObject> objects;
  for (const auto& [id, value] : info.objects)
    objects.push_back({id, value});
  record::DeviceInfo rec;
  rec.ts = ts;
  rec.port = port;
  rec.unit = info.unit;
  if (info.conformity) rec.conformity = *info.conformity;
  rec.objects = objects;
  rec.device_id_error = info.id_error;
  std::string text;
  if (info.server_id) {
    rec.server_id = std::span<const std::uint8_t>(*info.server_id);
    rec.run_indicator = info.run_indicator;
    // The longest run of printable ASCII (a name, a version), if any: the layout of the
    // server id is device specific ([AP] §6.13), but text is what a user looks for in it.
    std::string run;
    for (std::uint8_t ch : *info.server_id) {
      if (ch >= 0x20 && ch < 0x7F) {
        run += static_cast<char>(ch);
        continue;
      }
      if (run.size() > text.size()) text = run;
      run.clear();
    }
    if (run.size() > text.size()) text = run;
    if (text.size() >= 2) rec.server_id_text = text;
  }
  rec.server_id_error = info.server_id_error;
  std::string out;
  JsonWriter w(out);
  record::write(w, rec);
  return out;
}

} // namespace iot::poll
