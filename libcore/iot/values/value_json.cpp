#include "iot/values/value_json.hpp"

#include <type_traits>
#include <variant>

namespace iot::values {

void write_json(JsonWriter& w, const Value& v) {
  std::visit(
      [&](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
          w.null();
        else
          w.value(x);
      },
      v);
}

} // namespace iot::values
