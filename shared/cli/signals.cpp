#include "signals.hpp"

#include <csignal>
#include <ctime>

#include "exit_codes.hpp"

namespace shmq::cli {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free, "used from a signal handler");
static_assert(std::atomic<int>::is_always_lock_free, "used from a signal handler");

extern "C" void on_stop_signal(int signo) {
  // relaxed: the first signal wins, and nothing else is published with it.
  int none = 0;
  g_signal.compare_exchange_strong(none, signo, std::memory_order_relaxed);
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
  sigaction(SIGHUP, &action, nullptr);  // a closed terminal: shut down cleanly, leave no entry
  std::signal(SIGPIPE, SIG_IGN);  // a closed output is an I/O error we report, not a silent death
  return g_stop;
}

bool stop_requested() noexcept {
  // relaxed: see on_stop_signal.
  return g_stop.load(std::memory_order_relaxed);
}

int stop_signal() noexcept {
  // relaxed: see on_stop_signal.
  return g_signal.load(std::memory_order_relaxed);
}

bool pause_unless_stopped(std::chrono::nanoseconds duration) {
  using namespace std::chrono;
  const auto until = steady_clock::now() + duration;
  while (!stop_requested()) {
    const auto left = until - steady_clock::now();
    if (left <= nanoseconds::zero()) return true;
    const auto step = duration_cast<nanoseconds>(std::min<steady_clock::duration>(left, 100ms));
    const timespec pause{static_cast<time_t>(step.count() / 1'000'000'000),
                         static_cast<long>(step.count() % 1'000'000'000)};
    ::nanosleep(&pause, nullptr);  // EINTR: a signal came; the loop looks at the flag
  }
  return false;
}

int interrupted_exit_code() noexcept {
  const int signo = stop_signal();
  return exit_code_for_signal(signo != 0 ? signo : SIGINT);
}

}  // namespace shmq::cli
