// SIGINT/SIGTERM/SIGHUP turn into a stop flag that the library's blocking calls watch.
#pragma once

#include <atomic>
#include <chrono>

namespace shmq::cli {

// Installs the handlers (without SA_RESTART, so blocking reads return) and returns the flag.
const std::atomic<bool>& install_stop_handlers();
// Whether a stop signal has arrived.
bool stop_requested() noexcept;
// The first stop signal that arrived, or 0.
int stop_signal() noexcept;
// The exit code of a run the stop flag ended: 128 + that signal (SIGINT's 130 if none came).
int interrupted_exit_code() noexcept;
// Sleeps for `duration` in the kernel, in steps of at most 100 ms (an idle program wakes at most
// ten times a second); a stop signal ends it at once (nanosleep's EINTR: the handlers do not
// restart). Returns false if a stop was requested.
bool pause_unless_stopped(std::chrono::nanoseconds duration);

}  // namespace shmq::cli
