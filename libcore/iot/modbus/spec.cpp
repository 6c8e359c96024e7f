#include "iot/modbus/spec.hpp"

namespace iot::modbus {

std::string_view fc_name(std::uint8_t fc) noexcept {
  switch (fc & 0x7F) {
  case 0x01: return "read_coils";
  case 0x02: return "read_discrete_inputs";
  case 0x03: return "read_holding_registers";
  case 0x04: return "read_input_registers";
  case 0x05: return "write_single_coil";
  case 0x06: return "write_single_register";
  case 0x07: return "read_exception_status";
  case 0x08: return "diagnostics";
  case 0x0B: return "get_comm_event_counter";
  case 0x0C: return "get_comm_event_log";
  case 0x0F: return "write_multiple_coils";
  case 0x10: return "write_multiple_registers";
  case 0x11: return "report_server_id";
  case 0x14: return "read_file_record";
  case 0x15: return "write_file_record";
  case 0x16: return "mask_write_register";
  case 0x17: return "read_write_multiple_registers";
  case 0x18: return "read_fifo_queue";
  case 0x2B: return "read_device_identification";
  default: return "unknown";
  }
}

bool fc_known(std::uint8_t fc) noexcept { return fc_name(fc) != "unknown"; }

std::string_view exception_name(std::uint8_t code) noexcept {
  switch (code) {
  case 0x01: return "illegal_function";
  case 0x02: return "illegal_data_address";
  case 0x03: return "illegal_data_value";
  case 0x04: return "server_device_failure";
  case 0x05: return "acknowledge";
  case 0x06: return "server_device_busy";
  case 0x07: return "negative_acknowledge";
  case 0x08: return "memory_parity_error";
  case 0x0A: return "gateway_path_unavailable";
  case 0x0B: return "gateway_target_failed_to_respond";
  default: return "unknown";
  }
}

std::string_view device_id_object_name(std::uint8_t id) noexcept {
  switch (id) {
  case 0x00: return "vendor_name";
  case 0x01: return "product_code";
  case 0x02: return "major_minor_revision";
  case 0x03: return "vendor_url";
  case 0x04: return "product_name";
  case 0x05: return "model_name";
  case 0x06: return "user_application_name";
  default: return id < 0x80 ? "reserved" : "private";
  }
}

} // namespace iot::modbus
