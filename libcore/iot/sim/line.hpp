#pragma once
// Serial lines for the simulator: a pseudo-terminal it creates, or a real
// device set to the port's baud rate and framing. Both give a non-blocking fd.
// (Kept here until iot/transport/serial lands with the same abilities.)
#include <cstdint>
#include <string>

#include "iot/transport/target.hpp"

namespace iot::sim {

struct PtyLine {
  int master = -1;     // the simulator's end
  int keep_slave = -1; // held open so the master does not see hang-ups between clients
  std::string path;    // /dev/pts/N, for the poller
};

// Creates a pty in raw mode (no echo, no line editing) at `settings`. Throws iot::Error(io).
PtyLine open_pty(const transport::SerialSettings& settings);

// Opens a serial device raw and non-blocking at `settings`. Throws iot::Error(io).
int open_serial(const std::string& path, const transport::SerialSettings& settings);

// Bits on the wire per character: start + data + parity + stop.
unsigned bits_per_char(const transport::SerialSettings& settings);

} // namespace iot::sim
