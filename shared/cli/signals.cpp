#include "signals.hpp"

#include <csignal>

namespace shmq::cli {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "used from a signal handler");

extern "C" void on_stop_signal(int) {
  // relaxed: the flag carries no data; readers poll it.
  g_stop.store(true, std::memory_order_relaxed);
}

}  // namespace

const std::atomic<bool>& install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a read() blocked on a terminal returns EINTR
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a closed output is an I/O error we report, not a silent death
  return g_stop;
}

bool stop_requested() noexcept {
  // relaxed: see on_stop_signal.
  return g_stop.load(std::memory_order_relaxed);
}

}  // namespace shmq::cli
