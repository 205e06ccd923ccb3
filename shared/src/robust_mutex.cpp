#include "shmq/detail/robust_mutex.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <string>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

#include "cpu_relax.hpp"
#include "shmq/errors.hpp"

namespace shmq {
namespace {

[[noreturn]] void fail(const char* what, int err) {
  throw Error(ErrorCode::system, std::string("queue mutex: ") + what + ": " + std::strerror(err),
              err);
}

// How long a contended lock() tries the gate before it queues on the mutex itself. With more
// processes than cores, the holder of a contended mutex is often descheduled inside its short
// section; queueing at once costs both sides a futex system call on shared memory, each time.
// Trying the gate with a growing pause between tries (64 to 2048 pauses) keeps the contenders off
// the lines while the holder finishes, and lets one of them through at a time. Measured on the
// 2-core VM, put/get of 64 B by 2x2 and 4x4 processes: 0.7-0.9 M msg/s queueing at once, 1.4-2.0
// M trying for 20 us, no better for 50 or 200 us. The mutex itself is only ever taken by
// pthread_mutex_clocklock(): glibc's trylock on a mutex made unrecoverable keeps it held and off
// the robust list, which would wedge every later locker.
constexpr auto kTryGateFor = std::chrono::microseconds(20);
constexpr int kFirstBackoff = 64;
constexpr int kMaxBackoff = 2048;

// How long one wait on the mutex lasts before the locker looks at its deadline, its stop flag
// and the lock word. Holders keep it for microseconds: a slice runs out only when something is
// wrong (a holder stopped inside, or a word no live thread owns).
constexpr auto kLockSlice = std::chrono::milliseconds(10);
// glibc's robust mutex keeps its owner's thread id in the low 30 bits of the lock word.
constexpr unsigned kFutexTidMask = 0x3FFFFFFFU;

template <class TimePoint>
timespec to_timespec(TimePoint at) {
  const auto since = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch());
  return {static_cast<time_t>(since.count() / 1'000'000'000),
          static_cast<long>(since.count() % 1'000'000'000)};
}

// pthread_mutex_lock for at most kLockSlice, on the monotonic clock. ThreadSanitizer (GCC 12)
// does not intercept pthread_mutex_clocklock and would take every unlock for a bug, so its
// builds use timedlock on the wall clock (a clock step then lengthens or shortens one slice).
int lock_for_a_slice(pthread_mutex_t& mutex) {
#if defined(__SANITIZE_THREAD__)
  const timespec end = to_timespec(std::chrono::system_clock::now() + kLockSlice);
  const int err = pthread_mutex_timedlock(&mutex, &end);
  // Its interceptor counts only a plain success as locking; after a holder died it is one too.
  if (err == EOWNERDEAD) {
    __tsan_mutex_pre_lock(&mutex, __tsan_mutex_try_lock);
    __tsan_mutex_post_lock(&mutex, __tsan_mutex_try_lock, 0);
  }
  return err;
#else
  const timespec end = to_timespec(Clock::now() + kLockSlice);
  return pthread_mutex_clocklock(&mutex, CLOCK_MONOTONIC, &end);
#endif
}

// The thread a lock word names, if that thread does not exist: the kernel clears the owner of a
// robust mutex when its holder dies (before the holder's id can be looked up no more), so a word
// still naming a gone thread is not a holder's doing.
unsigned ghost_owner(pthread_mutex_t& mutex) {
  // relaxed: a snapshot, compared with the next one before anything is concluded.
  const auto word = static_cast<unsigned>(
      std::atomic_ref<int>(mutex.__data.__lock).load(std::memory_order_relaxed));
  const unsigned owner = word & kFutexTidMask;
  if (owner == 0 || kill(static_cast<pid_t>(owner), 0) == 0 || errno != ESRCH) return 0;
  return owner;
}

// Initialises `mutex` as the queue's: process-shared and robust. Returns the error, or 0.
int initialise_queue_mutex(pthread_mutex_t& mutex) {
  pthread_mutexattr_t attr;
  if (int err = pthread_mutexattr_init(&attr)) return err;
  int err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (err == 0) err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  if (err == 0) err = pthread_mutex_init(&mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  return err;
}

// glibc's kind word of a queue mutex (type and flags). A peer's bytes could make it another
// kind, and glibc asserts (aborts the process) on some kinds whose owner does not exist, so
// lock() refuses any other kind before glibc looks at it.
int queue_mutex_kind() {
  static const int kind = [] {
    pthread_mutex_t model;
    if (initialise_queue_mutex(model) != 0) return -1;
    const int value = model.__data.__kind;
    pthread_mutex_destroy(&model);
    return value;
  }();
  return kind;
}

}  // namespace

void RobustMutex::initialise(layout::MutexData& data) {
  if (const int err = initialise_queue_mutex(data.mutex)) fail("initialise", err);
  // relaxed: published with the rest of the header by the release store of `ready`.
  data.mover.store(layout::kNoEntry, std::memory_order_relaxed);
  data.gate.store(0, std::memory_order_relaxed);
}

LockOutcome RobustMutex::lock(Clock::time_point until, const std::atomic<bool>* stop,
                              std::string* why, const LossProbe* probe) noexcept {
  const auto try_gate = [this] {
    std::uint32_t open = 0;
    // relaxed: the gate only spaces contenders out; the mutex orders what it protects.
    return data_.gate.compare_exchange_strong(open, 1, std::memory_order_relaxed);
  };
  if (!try_gate()) {
    const auto give_up = std::chrono::steady_clock::now() + kTryGateFor;
    for (int pauses = kFirstBackoff;; pauses = std::min(pauses * 2, kMaxBackoff)) {
      for (int i = 0; i < pauses; ++i) detail::cpu_relax();
      // A holder that died leaves the gate shut: after a while, queue on the mutex regardless.
      if (try_gate() || std::chrono::steady_clock::now() >= give_up) break;
    }
  }
  // relaxed: a check of a word only creators write; glibc reads it again itself.
  if (std::atomic_ref<int>(data_.mutex.__data.__kind).load(std::memory_order_relaxed) !=
      queue_mutex_kind()) {
    data_.gate.store(0, std::memory_order_relaxed);  // relaxed: see above
    if (why != nullptr) *why = "its mutex is garbage (not the kind a queue creates)";
    return LockOutcome::corrupt;
  }
  unsigned ghost_seen = 0;
  for (;;) {
    const int err = lock_for_a_slice(data_.mutex);
    // relaxed: as above. Shut while we hold the mutex, whether or not we came through it.
    data_.gate.store(err == 0 || err == EOWNERDEAD ? 1 : 0, std::memory_order_relaxed);
    if (err == 0) return LockOutcome::held;
    if (err == EOWNERDEAD) return LockOutcome::held_after_death;
    const auto corrupt = [why](std::string reason) {
      if (why != nullptr) *why = std::move(reason);
      return LockOutcome::corrupt;
    };
    if (err == ENOTRECOVERABLE) {
      return corrupt("its mutex is not recoverable (a holder died and nobody repaired it)");
    }
    if (err != ETIMEDOUT) {
      return corrupt(std::string("its mutex is garbage (") + std::strerror(err) + ")");
    }
    // relaxed: the flag carries no data; a late sighting costs one more slice.
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return LockOutcome::cancelled;
    if (probe != nullptr) {
      (void)*probe->last_byte;  // a truncated file: SIGBUS, and the guard raises `lost`
      // relaxed: the flag orders nothing; we only stop waiting.
      if (probe->lost->load(std::memory_order_relaxed)) return LockOutcome::lost;
    }
    // Seen in two slices in a row, so that a word caught in passing is not taken for one.
    const unsigned ghost = ghost_owner(data_.mutex);
    if (ghost != 0 && ghost == ghost_seen) {
      return corrupt("its mutex is held by thread " + std::to_string(ghost) +
                     ", which does not exist");
    }
    ghost_seen = ghost;
    if (Clock::now() >= until) return LockOutcome::timeout;
  }
}

void RobustMutex::unlock() noexcept {
  data_.gate.store(0, std::memory_order_relaxed);  // relaxed: see lock()
  pthread_mutex_unlock(&data_.mutex);
}

void RobustMutex::mark_consistent() noexcept { pthread_mutex_consistent(&data_.mutex); }

}  // namespace shmq
