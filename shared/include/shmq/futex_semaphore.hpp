// A counting semaphore in shared memory that takes and gives n units in one atomic operation.
//
// The count is a futex word. Uncontended, wait and post are one atomic instruction each; post
// enters the kernel only when a waiter has recorded itself in `sleepers`. A blocking wait spins
// briefly before it sleeps. Deadlines are on the monotonic clock. Any process that maps the
// segment may call any member; the handle itself holds no state but a reference.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "shmq/layout.hpp"

namespace shmq {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC on Linux

enum class WaitStrategy : std::uint8_t {
  block,  // spin briefly, then sleep in the kernel until posted
  spin,   // poll with sched_yield: lowest latency, burns a core while waiting
};

class FutexSemaphore {
 public:
  explicit FutexSemaphore(layout::SemaphoreData& data) noexcept : data_(data) {}

  // Creator only, before the segment is marked ready.
  static void initialise(layout::SemaphoreData& data, std::uint32_t count) noexcept;

  // Non-blocking. Takes exactly n units if that many are available.
  [[nodiscard]] bool try_acquire(std::uint32_t n) noexcept;
  // Non-blocking. Takes min(available, max) units; returns how many (0 if none).
  [[nodiscard]] std::uint32_t try_acquire_up_to(std::uint32_t max) noexcept;

  // Blocks until n units can be taken or `until` passes. Returns whether they were taken.
  [[nodiscard]] bool acquire(std::uint32_t n, Clock::time_point until, WaitStrategy strategy);
  // Blocks until at least one unit is available or `until` passes; then takes up to max.
  [[nodiscard]] std::uint32_t acquire_up_to(std::uint32_t max, Clock::time_point until,
                                            WaitStrategy strategy);

  // Never blocks. Adds n units and wakes sleepers, if any are recorded.
  void post(std::uint32_t n) noexcept;
  // Wakes every sleeper without adding units, so they re-check conditions (end of stream).
  void wake_all() noexcept;

  // A snapshot for monitoring and sizing; stale as soon as it is returned.
  [[nodiscard]] std::uint32_t value() const noexcept;

 private:
  template <class TryTake>
  std::uint32_t wait_until(TryTake try_take, std::uint32_t need, Clock::time_point until,
                           WaitStrategy strategy);
  void sleep_while(std::uint32_t need, Clock::time_point until) noexcept;

  layout::SemaphoreData& data_;
};

}  // namespace shmq
