#include "shmq/detail/cursor_semaphore.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <ctime>

#include "cpu_relax.hpp"

namespace shmq {
namespace {

// How long a blocking wait polls before it sleeps. A sleep costs the giver a futex wake (a
// system call on its hot path) and the sleeper a trip through the scheduler; on a VM whose
// idle vCPU halts, waking it costs far more. The other side usually gives within a batch's
// time, tens of microseconds, so polling that long keeps both sides out of the kernel.
// Measured on the 2-core VM, 10 M messages of 64 B: 6 us of polling slept 7,000-38,000 times,
// 50 us 12-231 times, 200 us 1-8 times.
constexpr auto kPollBeforeSleep = std::chrono::microseconds(200);

// Polls between sched_yield calls, so that a peer on another core is seen within a fraction of
// a microsecond while one on the same core still gets to run.
constexpr int kSpinBetweenYields = 64;

constexpr std::uint64_t kGiveOne = std::uint64_t{1} << 32;

constexpr std::uint32_t low_half(std::uint64_t word) { return static_cast<std::uint32_t>(word); }
constexpr std::uint32_t high_half(std::uint64_t word) {
  return static_cast<std::uint32_t>(word >> 32);
}

// The high half of the word: what givers change, so what waiters sleep on (little-endian).
std::uint32_t* futex_word(std::atomic<std::uint64_t>& word) noexcept {
  return reinterpret_cast<std::uint32_t*>(&word) + 1;
}

timespec to_timespec(Clock::duration d) noexcept {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace

void CursorSemaphore::initialise(layout::SemaphoreData& data, std::uint32_t count) noexcept {
  // relaxed: the creator publishes the whole header with the release store of `ready`.
  data.word.store(std::uint64_t{count} << 32, std::memory_order_relaxed);
  data.sleepers.store(0, std::memory_order_relaxed);
  data.sleeps.store(0, std::memory_order_relaxed);
}

UnitRun CursorSemaphore::try_take(std::uint32_t max) noexcept {
  // relaxed: only a first guess for the CAS, which carries the ordering.
  std::uint64_t word = data_.word.load(std::memory_order_relaxed);
  for (;;) {
    const std::uint32_t count = std::min(units_in(word), max);
    if (count == 0) return {};
    const std::uint64_t taken = (word & ~std::uint64_t{UINT32_MAX}) | (low_half(word) + count);
    // acquire: pairs with give()'s release, so what the giver wrote before giving is visible.
    if (data_.word.compare_exchange_weak(word, taken, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
      return {low_half(word), count};
    }
  }
}

UnitRun CursorSemaphore::take(std::uint32_t max, Clock::time_point until, WaitStrategy strategy) {
  for (bool poll = true;; poll = false) {
    const UnitRun units = try_take(max);
    if (units.count != 0 || max == 0) return units;
    if (!wait_available(until, strategy, poll) && Clock::now() >= until) return {};
  }
}

bool CursorSemaphore::wait_available(Clock::time_point until, WaitStrategy strategy, bool poll,
                                     std::uint32_t need) {
  need = std::max(need, 1U);
  // relaxed throughout: hints; the caller's take carries the ordering.
  const auto ready = [this, need] {
    return units_in(data_.word.load(std::memory_order_relaxed)) >= need;
  };
  const Clock::time_point poll_until =
      strategy == WaitStrategy::spin ? until
      : poll                         ? std::min(until, Clock::now() + kPollBeforeSleep)
                                     : Clock::time_point::min();
  for (;;) {
    for (int i = 0; i < kSpinBetweenYields; ++i) {
      if (ready()) return true;
      detail::cpu_relax();
    }
    if (Clock::now() >= poll_until) break;
    sched_yield();  // let a peer on the same core run
  }
  // A wait's first call only polls: its caller checks end of stream and stop requests before it
  // ever sleeps (the wake-up that announced them may be past already).
  if (strategy == WaitStrategy::spin || poll || Clock::now() >= until) return ready();
  // One sleep: a wake-up without units sends the caller back to its checks.
  sleep_unless(until, [need](std::uint64_t word) { return units_in(word) >= need; }, true);
  return ready();
}

void CursorSemaphore::wait_for_give(std::uint32_t seen_limit, Clock::time_point until) noexcept {
  // Not counted in `sleeps`: that counts waits for units (shmq stat: "slept ... ring full").
  sleep_unless(
      until, [seen_limit](std::uint64_t word) { return high_half(word) != seen_limit; }, false);
}

template <class Awake>
void CursorSemaphore::sleep_unless(Clock::time_point until, Awake awake, bool counted) noexcept {
  // seq_cst: with give()'s seq_cst add-then-load this is a Dekker pair; either the giver sees
  // our registration and wakes us, or we see its give below and do not sleep.
  data_.sleepers.fetch_add(1, std::memory_order_seq_cst);
  const std::uint64_t word = data_.word.load(std::memory_order_seq_cst);
  const auto left = until - Clock::now();
  if (!awake(word) && left > Clock::duration::zero()) {
    // relaxed: a monitoring counter with no ordering duty.
    if (counted) data_.sleeps.fetch_add(1, std::memory_order_relaxed);
    const timespec relative = to_timespec(left);
    // Shared (not FUTEX_PRIVATE): the word lives in a mapping several processes share. Sleeps
    // only while the givers' limit is still what we saw; EAGAIN/EINTR/ETIMEDOUT all re-check.
    syscall(SYS_futex, futex_word(data_.word), FUTEX_WAIT, high_half(word), &relative, nullptr, 0);
  }
  // relaxed: only tells givers whether a wake is needed; a stale non-zero costs one syscall.
  data_.sleepers.fetch_sub(1, std::memory_order_relaxed);
}

std::uint32_t CursorSemaphore::give(std::uint32_t n) noexcept {
  // seq_cst: releases what we wrote to the slots, and orders the add before the sleepers load
  // (the other half of the Dekker pair in sleep_unless()). The carry out of bit 63 is discarded, so the
  // high half wraps modulo 2^32 like the cursor it is.
  const std::uint64_t before = data_.word.fetch_add(n * kGiveOne, std::memory_order_seq_cst);
  if (data_.sleepers.load(std::memory_order_seq_cst) != 0) wake_all();
  return units_in(before + n * kGiveOne);
}

std::optional<std::uint32_t> CursorSemaphore::give_from(std::uint32_t seen_limit,
                                                        std::uint32_t n) noexcept {
  // relaxed: a first guess for the CAS.
  std::uint64_t word = data_.word.load(std::memory_order_relaxed);
  for (;;) {
    if (high_half(word) != seen_limit) return std::nullopt;  // another giver came first
    // seq_cst: as give()'s add (it releases what we vouch for, and pairs with sleep_unless()).
    // Takers move the low half meanwhile: the CAS then fails with the new word, and we retry.
    if (data_.word.compare_exchange_weak(word, word + n * kGiveOne, std::memory_order_seq_cst,
                                         std::memory_order_relaxed)) {
      break;
    }
  }
  if (data_.sleepers.load(std::memory_order_seq_cst) != 0) wake_all();
  return units_in(word + n * kGiveOne);
}

void CursorSemaphore::wake_all() noexcept {
  syscall(SYS_futex, futex_word(data_.word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

void CursorSemaphore::rewind_takers(std::uint32_t cursor) noexcept {
  // relaxed: a first guess for the CAS.
  std::uint64_t word = data_.word.load(std::memory_order_relaxed);
  // acq_rel: orders the rewind with givers' fetch_adds and later takers' CAS.
  while (!data_.word.compare_exchange_weak(word, (word & ~std::uint64_t{UINT32_MAX}) | cursor,
                                           std::memory_order_acq_rel, std::memory_order_relaxed)) {
  }
  wake_all();
}

std::uint32_t CursorSemaphore::value() const noexcept {
  // relaxed: a monitoring snapshot.
  return units_in(data_.word.load(std::memory_order_relaxed));
}

std::uint32_t CursorSemaphore::takers_cursor() const noexcept {
  // acquire: recovery reads slots below this cursor after reading it.
  return low_half(data_.word.load(std::memory_order_acquire));
}

std::uint32_t CursorSemaphore::givers_limit_after_our_stores() noexcept {
  // seq_cst read-modify-write that adds nothing: see the declaration.
  return high_half(data_.word.fetch_add(0, std::memory_order_seq_cst));
}

std::uint32_t CursorSemaphore::givers_limit() const noexcept {
  // acquire: pairs with give()'s release; slots below the limit are complete.
  return high_half(data_.word.load(std::memory_order_acquire));
}

}  // namespace shmq
