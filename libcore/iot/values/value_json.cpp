#include "iot/values/value_json.hpp"

#include <type_traits>

#include "iot/record/records.hpp"

namespace iot::values {

// values::Value is record::Value: the record format owns how a value is written.
static_assert(std::is_same_v<Value, record::Value>);

void write_json(JsonWriter& w, const Value& v) { record::write_value(w, v); }

} // namespace iot::values
