#pragma once
// Writes a decoded Modbus frame as a `frame` record (docs/record-format.md).
// iot-decode, iot-sim --log and iot-poll --trace all print frames through this.
#include <optional>
#include <span>
#include <string_view>

#include "iot/modbus/adu.hpp"
#include "iot/modbus/pdu.hpp"
#include "iot/record/json_writer.hpp"

namespace iot::decode {

struct FrameRecordExtras {
  std::string_view src, dst;          // capture endpoints, "ip:port"
  std::optional<double> latency_ms;   // a paired response: time since its request
  std::string_view port;              // a tool's port name (sim, poll)
};

// Writes the whole record object: {"ts":…,"kind":"frame",…}. `bytes` is the ADU
// as received; `adu` its unwrapped view; `pdu` the decoded PDU (may be empty when
// the ADU could not be unwrapped).
void write_frame_record(JsonWriter& w, TimePoint ts, std::span<const std::uint8_t> bytes,
                        const modbus::AduView& adu, const modbus::DecodedPdu& pdu,
                        const FrameRecordExtras& extras = {});

}  // namespace iot::decode
