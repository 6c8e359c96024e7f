#pragma once
// Signal policy shared by every tool: SIGPIPE is ignored so a closed reader
// shows up as EPIPE on write (and the tool ends quietly), and SIGINT/SIGTERM
// only set a flag, so the tool finishes the record it is writing and stops.
#include <atomic>

namespace iot {

// Installs the handlers. Call once at start-up.
void install_signal_handlers();

// True once SIGINT or SIGTERM has arrived.
bool stop_requested() noexcept;

// The signal that asked to stop (0 if none).
int stop_signal() noexcept;

// A file descriptor that becomes readable when a stop is requested, for poll() loops.
int stop_fd() noexcept;

// Asks the process to stop as if a signal had come (used by --duration and tests).
void request_stop() noexcept;

}  // namespace iot
