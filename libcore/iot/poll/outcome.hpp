#pragma once
// The exit status of a run that talks to many devices: the worst outcome seen.
#include "iot/core/exit_code.hpp"

namespace iot::poll {

// Keeps in `worst` the worse of it and `outcome`. From better to worse: ok, a Modbus exception,
// a malformed answer, a timeout, an I/O failure, anything else.
void keep_worst(ExitCode& worst, ExitCode outcome);

} // namespace iot::poll
