// Per-process choices made when attaching to a queue (they are not stored in the segment).
#pragma once

#include <atomic>
#include <cstdint>

#include "shmq/cursor_semaphore.hpp"

namespace shmq {

inline constexpr std::chrono::milliseconds kDefaultLease{30'000};

struct AttachOptions {
  WaitStrategy wait = WaitStrategy::block;
  // When set and raised (e.g. by a signal handler), blocking calls return Status::cancelled
  // within a few milliseconds.
  const std::atomic<bool>* stop = nullptr;
  // Consumer only: end of stream is reported only after this many producers have attached
  // during the consumer's lifetime and all of them have detached.
  std::uint32_t expect_producers = 1;
  // Consumer of a multi-consumer queue: how long it may hold messages it took before another
  // process hands them to other consumers (as JetStream's AckWait or an SQS visibility
  // timeout); 0 or less: for ever. A consumer stopped, or slower than this per batch, then sees
  // them again only if nobody else took them (Consumer::lost_to_lease()).
  std::chrono::milliseconds lease{kDefaultLease};
};

// Blocking calls sleep in slices of this length, so that a stop request or the end of the
// stream is noticed even if the wake-up that announced it raced with going to sleep.
inline constexpr auto kWaitSlice = std::chrono::milliseconds(10);

[[nodiscard]] inline Clock::time_point deadline_after(Clock::duration timeout) {
  const auto now = Clock::now();
  return timeout >= Clock::time_point::max() - now ? Clock::time_point::max() : now + timeout;
}

}  // namespace shmq
