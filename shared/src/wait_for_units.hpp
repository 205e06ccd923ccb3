// The blocking loop shared by producers (waiting for room) and consumers (waiting for items).
#pragma once

#include <algorithm>

#include "shmq/attach_options.hpp"
#include "shmq/detail/recovery.hpp"
#include "shmq/detail/ring.hpp"
#include "shmq/errors.hpp"

namespace shmq::detail {

// How often a process that keeps waiting checks the table for dead peers to reap: a queue
// wedged by a dead process recovers within this interval (plus a slice). Once a slice.
inline constexpr auto kReapInterval = kWaitSlice;

// The loop of wait_for_units(), which also vouches that a failure was not the segment's loss.
template <class Attempt, class Ended>
Status wait_for_units_unchecked(Ring& ring, CursorSemaphore& semaphore, Clock::time_point until,
                                const AttachOptions& options, Attempt attempt, Ended ended,
                                std::uint32_t need) {
  if (attempt()) return Status::ok;
  // A non-blocking call (try_put, try_get) answers at once: no spinning, no sleeping.
  if (Clock::now() >= until) {
    // The last producer gives before it detaches, so once it is gone one more try is final.
    return !ended() ? Status::timeout : attempt() ? Status::ok : Status::end_of_stream;
  }
  auto next_reap = Clock::now() + kReapInterval;
  // Poll before the first sleep only: the other side is most likely in the middle of a batch.
  for (bool poll = true;; poll = false) {
    // Wait first: the bookkeeping below (end of stream scans the process table) is for when
    // nothing has arrived within a slice or a wake-up came without units.
    const auto now = Clock::now();
    // A wake-up without units may still mean work (orphans to take again): always try.
    semaphore.wait_available(std::min(until, now + kWaitSlice), options.wait, poll, need);
    if (attempt()) return Status::ok;
    if (ring.lost()) return Status::lost;  // zeros would wait for ever, or look like an end
    // relaxed: the flag carries no data; a late sighting costs one more slice.
    if (options.stop != nullptr && options.stop->load(std::memory_order_relaxed)) {
      return Status::cancelled;
    }
    if (ended()) {
      // The last producer gives before it detaches, so once it is gone one more try is final.
      return attempt() ? Status::ok : Status::end_of_stream;
    }
    if (Clock::now() >= until) return attempt() ? Status::ok : Status::timeout;
    if (now >= next_reap) {
      ring.locked(until, [&ring] { Recovery(ring).recover_locked(); });
      next_reap = now + kReapInterval;
      if (attempt()) return Status::ok;
    }
  }
}

// Repeats `attempt()` (true once it took units) until it succeeds, sleeping on `semaphore` in
// slices; between slices it notices a stop request, the deadline, `ended()` (end of stream),
// dead peers, and a segment truncated under us. Returns ok, timeout, cancelled, end_of_stream
// or lost; a QueueFault from the mutex (or from `attempt` or `ended`) goes through to the caller.
// `need`: the units `attempt()` needs at once (it sleeps until the semaphore holds that many).
template <class Attempt, class Ended>
Status wait_for_units(Ring& ring, CursorSemaphore& semaphore, Clock::time_point until,
                      const AttachOptions& options, Attempt attempt, Ended ended,
                      std::uint32_t need = 1) {
  const Status status =
      wait_for_units_unchecked(ring, semaphore, until, options, attempt, ended, need);
  // An end of stream or a timeout seen in zeros is the loss, whenever it happened.
  return status != Status::ok && ring.lost() ? Status::lost : status;
}

}  // namespace shmq::detail
