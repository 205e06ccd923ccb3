// SIGINT/SIGTERM turn into a stop flag that the library's blocking calls watch.
#pragma once

#include <atomic>

namespace shmq::cli {

// Installs the handlers (without SA_RESTART, so blocking reads return) and returns the flag.
const std::atomic<bool>& install_stop_handlers();
// Whether a stop signal has arrived.
bool stop_requested() noexcept;

}  // namespace shmq::cli
