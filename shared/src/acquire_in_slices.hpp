// The blocking loop shared by producers (waiting for room) and consumers (waiting for items).
#pragma once

#include <algorithm>

#include "shmq/attach_options.hpp"
#include "shmq/errors.hpp"

namespace shmq::detail {

// Takes between 1 and `max` units of `semaphore`, sleeping in slices so that a stop request,
// the deadline, or `ended()` (end of stream) is noticed. Sets `got`; returns ok, timeout,
// cancelled or closed.
template <class Ended>
Status acquire_in_slices(FutexSemaphore& semaphore, std::uint32_t max, Clock::time_point until,
                         const AttachOptions& options, std::uint32_t& got, Ended ended) {
  got = semaphore.try_acquire_up_to(max);
  while (got == 0) {
    // relaxed: the flag carries no data; a late sighting costs one more slice.
    if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) {
      return Status::cancelled;
    }
    if (ended()) {
      // The last producer posts before it detaches, so once we see it gone one more try is final.
      got = semaphore.try_acquire_up_to(max);
      return got != 0 ? Status::ok : Status::closed;
    }
    const auto now = Clock::now();
    if (now >= until) return Status::timeout;
    got = semaphore.acquire_up_to(max, std::min(until, now + kWaitSlice), options.wait);
  }
  return Status::ok;
}

}  // namespace shmq::detail
