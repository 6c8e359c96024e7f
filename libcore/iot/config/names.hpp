#pragma once
// The names site files give the enumerations of site.hpp: the loader parses them with
// these tables and the *_name() functions of site.hpp write them back.
#include "iot/config/site.hpp"
#include "iot/core/names.hpp"

namespace iot::config {

inline constexpr auto k_generator_kinds =
    enum_names<GeneratorSpec::Kind>("constant", "ramp", "sine", "walk", "step", "replay", "link");

inline constexpr auto k_fault_kinds =
    enum_names<FaultSpec::Kind>("timeout", "exception", "bad_crc", "truncate", "split", "garbage", "slow", "delay",
                                "wrong_unit", "wrong_tid", "drop", "flap", "busy");

static_assert(k_generator_kinds.name(GeneratorSpec::Kind::link) == "link", "names in declaration order");
static_assert(k_fault_kinds.name(FaultSpec::Kind::busy) == "busy", "names in declaration order");

} // namespace iot::config
