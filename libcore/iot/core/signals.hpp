#pragma once
// Signal policy shared by every tool: SIGPIPE is ignored so a closed reader
// shows up as EPIPE on write (and the tool ends quietly), and SIGINT/SIGTERM
// only set a flag, so the tool finishes the record it is writing and stops.
#include <atomic>
#include <exception>

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

// Thrown by throw_if_stop_requested() from long work that has no loop of its own to leave
// (loading a large site file): the tool then ends at once with status 0, a clean stop.
struct StopRequested : std::exception {
  const char* what() const noexcept override { return "stopped by a signal"; }
};
void throw_if_stop_requested();

} // namespace iot
