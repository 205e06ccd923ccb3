#include "shmq/futex_semaphore.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <ctime>

namespace shmq {
namespace {

// How many times a blocking wait re-reads the count before it sleeps: about a microsecond of
// polling, long enough to catch a peer that is in the middle of a batch.
constexpr int kSpinBeforeSleep = 256;

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

std::uint32_t* futex_word(std::atomic<std::uint32_t>& word) noexcept {
  return reinterpret_cast<std::uint32_t*>(&word);
}

// Shared (not FUTEX_PRIVATE): the word lives in a mapping that several processes share.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                const timespec* relative) noexcept {
  syscall(SYS_futex, futex_word(word), FUTEX_WAIT, expected, relative, nullptr, 0);
  // EAGAIN (value changed), EINTR (signal), ETIMEDOUT: the caller re-checks in every case.
}

void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept {
  syscall(SYS_futex, futex_word(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

timespec to_timespec(Clock::duration d) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace

void FutexSemaphore::initialise(layout::SemaphoreData& data, std::uint32_t count) noexcept {
  // relaxed: the creator publishes the whole header with the release store of `ready`.
  data.count.store(count, std::memory_order_relaxed);
  data.sleepers.store(0, std::memory_order_relaxed);
  data.sleeps.store(0, std::memory_order_relaxed);
}

bool FutexSemaphore::try_acquire(std::uint32_t n) noexcept {
  // relaxed: only a hint for the CAS below, which carries the ordering.
  std::uint32_t current = data_.count.load(std::memory_order_relaxed);
  while (current >= n) {
    // acquire: pairs with post()'s release, so what the poster wrote before posting is visible.
    if (data_.count.compare_exchange_weak(current, current - n, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

std::uint32_t FutexSemaphore::try_acquire_up_to(std::uint32_t max) noexcept {
  // relaxed: only a hint for the CAS below, which carries the ordering.
  std::uint32_t current = data_.count.load(std::memory_order_relaxed);
  while (current != 0 && max != 0) {
    const std::uint32_t take = std::min(current, max);
    // acquire: pairs with post()'s release, so what the poster wrote before posting is visible.
    if (data_.count.compare_exchange_weak(current, current - take, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
      return take;
    }
  }
  return 0;
}

bool FutexSemaphore::acquire(std::uint32_t n, Clock::time_point until, WaitStrategy strategy) {
  return wait_until([this, n] { return try_acquire(n) ? n : 0U; }, n, until, strategy) != 0;
}

std::uint32_t FutexSemaphore::acquire_up_to(std::uint32_t max, Clock::time_point until,
                                            WaitStrategy strategy) {
  return wait_until([this, max] { return try_acquire_up_to(max); }, 1, until, strategy);
}

template <class TryTake>
std::uint32_t FutexSemaphore::wait_until(TryTake try_take, std::uint32_t need,
                                         Clock::time_point until, WaitStrategy strategy) {
  for (;;) {
    if (const std::uint32_t got = try_take()) return got;
    if (strategy == WaitStrategy::block) {
      for (int i = 0; i < kSpinBeforeSleep; ++i) {
        cpu_relax();
        // relaxed: a hint to stop spinning; try_take() re-reads with acquire.
        if (data_.count.load(std::memory_order_relaxed) >= need) break;
      }
      if (const std::uint32_t got = try_take()) return got;
    }
    if (Clock::now() >= until) return 0;
    if (strategy == WaitStrategy::spin) {
      sched_yield();
    } else {
      sleep_while(need, until);
    }
  }
}

void FutexSemaphore::sleep_while(std::uint32_t need, Clock::time_point until) noexcept {
  // seq_cst: with post()'s seq_cst add-then-load this is a Dekker pair; either the poster sees
  // our registration and wakes us, or we see its units below and do not sleep.
  data_.sleepers.fetch_add(1, std::memory_order_seq_cst);
  const std::uint32_t seen = data_.count.load(std::memory_order_seq_cst);
  if (seen < need) {
    // relaxed: a monitoring counter with no ordering duty.
    data_.sleeps.fetch_add(1, std::memory_order_relaxed);
    const auto left = until - Clock::now();
    if (left > Clock::duration::zero()) {
      const timespec relative = to_timespec(left);
      futex_wait(data_.count, seen, &relative);
    }
  }
  // relaxed: only tells posters whether a wake is needed; a stale non-zero costs one syscall.
  data_.sleepers.fetch_sub(1, std::memory_order_relaxed);
}

void FutexSemaphore::post(std::uint32_t n) noexcept {
  // seq_cst: releases what we wrote to the slots, and orders the add before the sleepers load
  // (the other half of the Dekker pair in sleep_while()).
  data_.count.fetch_add(n, std::memory_order_seq_cst);
  if (data_.sleepers.load(std::memory_order_seq_cst) != 0) futex_wake_all(data_.count);
}

void FutexSemaphore::wake_all() noexcept {
  // seq_cst: the caller's state change (e.g. detach) must be visible before we test for sleepers.
  if (data_.sleepers.load(std::memory_order_seq_cst) != 0) futex_wake_all(data_.count);
}

std::uint32_t FutexSemaphore::value() const noexcept {
  // relaxed: a monitoring snapshot.
  return data_.count.load(std::memory_order_relaxed);
}

}  // namespace shmq
