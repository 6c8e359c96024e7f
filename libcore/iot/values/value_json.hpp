#pragma once
// A decoded value as JSON: null for "no value", else a boolean, an integer, a
// number (NaN and infinities become null) or a string, as docs/record-format.md
// describes the `value` of a reading.
#include "iot/record/json_writer.hpp"
#include "iot/values/value_type.hpp"

namespace iot::values {

void write_json(JsonWriter& w, const Value& v);

} // namespace iot::values
