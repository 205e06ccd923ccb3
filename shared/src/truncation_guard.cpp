#include "truncation_guard.hpp"

#include <signal.h>
#include <sys/mman.h>

#include <cstdint>
#include <mutex>

namespace shmq::detail {
namespace {

enum : int { kFree, kBusy, kActive };

struct Watched {
  std::atomic<int> state{kFree};
  std::atomic<std::uintptr_t> base{0};
  std::atomic<std::size_t> size{0};
  std::atomic<bool> lost{false};
};

// Static storage: the handler may only touch memory that is never freed.
Watched g_watched[TruncationWatch::kMaxWatched];
struct sigaction g_previous {};

// Hands a fault that is not ours to whoever handled SIGBUS before us.
void pass_on(int signo, siginfo_t* info, void* context) {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(signo, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN &&
      g_previous.sa_handler != nullptr) {
    g_previous.sa_handler(signo);
    return;
  }
  // Default action: returning re-runs the faulting access, which now kills us with SIGBUS.
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  sigaction(SIGBUS, &fallback, nullptr);
}

void on_sigbus(int signo, siginfo_t* info, void* context) {
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (auto& watched : g_watched) {
    // acquire: base and size were stored before the entry became active.
    if (watched.state.load(std::memory_order_acquire) != kActive) continue;
    // relaxed: ordered by the acquire above.
    const std::uintptr_t base = watched.base.load(std::memory_order_relaxed);
    const std::size_t size = watched.size.load(std::memory_order_relaxed);
    if (address - base >= size) continue;
    // mmap is a plain system call on Linux, safe here although POSIX does not list it.
    void* zeros = mmap(reinterpret_cast<void*>(base), size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (zeros == MAP_FAILED) break;
    // release: the zero pages are in place for any thread that sees the flag.
    watched.lost.store(true, std::memory_order_release);
    return;
  }
  pass_on(signo, info, context);
}

void install_handler() {
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &g_previous);
}

}  // namespace

void TruncationWatch::watch(void* base, std::size_t size) noexcept {
  static std::once_flag installed;
  std::call_once(installed, install_handler);
  for (int i = 0; i < kMaxWatched; ++i) {
    Watched& watched = g_watched[i];
    int expected = kFree;
    // acq_rel: claims the entry exclusively before filling it in.
    if (!watched.state.compare_exchange_strong(expected, kBusy, std::memory_order_acq_rel)) {
      continue;
    }
    // relaxed: published by the release store of the state below.
    watched.base.store(reinterpret_cast<std::uintptr_t>(base), std::memory_order_relaxed);
    watched.size.store(size, std::memory_order_relaxed);
    watched.lost.store(false, std::memory_order_relaxed);
    // release: the handler sees base and size once it sees the entry active.
    watched.state.store(kActive, std::memory_order_release);
    index_ = i;
    return;
  }
}

const std::atomic<bool>* TruncationWatch::lost_flag() const noexcept {
  static const std::atomic<bool> never_raised{false};
  return index_ < 0 ? &never_raised : &g_watched[index_].lost;
}

TruncationWatch::~TruncationWatch() {
  if (index_ < 0) return;
  // release: the entry is free for reuse only after we stopped touching the mapping.
  g_watched[index_].state.store(kFree, std::memory_order_release);
}

}  // namespace shmq::detail
