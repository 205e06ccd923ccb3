// How a consumer takes messages and releases their slots: alone, on a single-consumer queue,
// or as one of several, under the mutex with a journal and a lease. One algorithm each;
// Consumer::Impl has both and uses the one its queue's mode (fixed at creation) picks.
#pragma once

#include <algorithm>
#include <cstdint>

#include "shmq/detail/failpoint.hpp"
#include "shmq/detail/process_table.hpp"
#include "shmq/detail/recovery.hpp"
#include "shmq/detail/ring.hpp"

namespace shmq::detail {

// The single consumer is items' sole taker and room's sole giver: one CAS takes a batch, one
// fetch_add releases it. No mutex, no journal, no lease: what it holds is its own until it
// releases it, or dies (recovery hands it out again).
class SoleConsuming {
 public:
  explicit SoleConsuming(Ring& ring) noexcept : ring_(ring), next_(ring.taken()) {}

  // Up to `max` filled slots, never waiting, and more if the last is a message's fragment:
  // then up to its end; count 0 if none.
  PositionRange take(std::uint32_t max) noexcept {
    const UnitRun units = ring_.items().try_take(max);  // the take itself: one CAS
    if (units.count == 0) return {};
    PositionRange range{next_, units.count};
    // The rest of the message was published with its first fragment (see layout.hpp).
    const std::uint32_t rest = ring_.slots().fragments_after(range.first + range.count - 1);
    if (rest != 0) range.count += ring_.items().try_take(rest).count;
    next_ += range.count;
    // relaxed: a hint (see Ring::taken()); we are its only writer.
    ring_.header().consumer.taken.store(next_, std::memory_order_relaxed);
    return range;
  }

  // Hands [first, first + count) back to producers.
  void release(std::uint64_t first, std::uint32_t count) noexcept {
    ring_.room().give(count);  // the release: producers may reuse the slots now
    // relaxed: a hint (see Ring::released()).
    ring_.header().consumer.released.store(first + count, std::memory_order_relaxed);
  }

 private:
  Ring& ring_;
  std::uint64_t next_;  // the next position we will take
};

// One of several consumers: takes under the mutex (a dead consumer's orphans first),
// journalled in our process entry and leased for `lease_ms`; another process may expire the
// lease and hand the messages on, so what we read is ours only if the journal still says so
// afterwards. Releases by stamping the slots done and advancing room's limit over every done
// slot in order. take() and release() may throw QueueFault (the mutex).
class JournalledConsuming {
 public:
  JournalledConsuming(Ring& ring, Attachment& attachment, std::uint32_t lease_ms) noexcept
      : ring_(ring), attachment_(attachment), lease_ms_(lease_ms) {}

  // Up to `max` messages, waiting for the mutex until `until`; count 0 if none.
  PositionRange take(std::uint32_t max, Clock::time_point until) {
    return ring_.locked_as_mover(layout::Role::consumer, attachment_.index(), until, [&] {
      // Messages a dead consumer left come first (take_orphans_locked journals them itself).
      PositionRange range = Recovery(ring_).take_orphans_locked(attachment_.index(), max);
      if (range.count == 0) {
        range = ring_.take_journalled_locked(ring_.items(), ring_.header().consumer.taken,
                                             attachment_.index(), whole_messages(max),
                                             failpoint::kConsumerHoldingMutex);
      }
      if (range.count != 0) start_lease();
      return range;
    });
  }

  // Whether the messages taken at `first` are still ours: no other process has expired our
  // lease and handed them on. Checked after reading them: if they are still ours then, no
  // producer can have overwritten them while we read.
  [[nodiscard]] bool still_held(std::uint64_t first) noexcept {
    auto& entry = attachment_.entry();
    // acq_rel read-modify-write that changes nothing: its release half keeps our reads of the
    // slots before the check (a seqlock reader's check; a plain acquire load would let them
    // move past it). Only we make the journal non-empty; an expirer only empties it.
    if (entry.held_count.fetch_add(0, std::memory_order_acq_rel) == 0) return false;
    // relaxed: ordered after the read-modify-write above.
    return entry.held_first.load(std::memory_order_relaxed) == first;
  }

  // Marks [first, first + count) done and moves room's limit over them, under the mutex and
  // only if our journal still names them. Returns whether it did (false: our lease ran out and
  // another process handed them on).
  bool release(std::uint64_t first, std::uint32_t count) {
    return ring_.locked_as_mover(
        layout::Role::consumer, attachment_.index(), Clock::time_point::max(), [&] {
          auto& journal = attachment_.entry();
          // relaxed: the mutex orders the journal with expirers.
          if (journal.held_count.load(std::memory_order_relaxed) == 0 ||
              journal.held_first.load(std::memory_order_relaxed) != first) {
            return false;
          }
          for (std::uint32_t i = 0; i < count; ++i) {
            ring_.slots().set_stamp(first + i, layout::kSlotDone);
          }
          failpoint::reach(failpoint::kConsumerAfterStamps);
          ring_.advance_released_locked();
          // relaxed: as above; our done stamps now speak for our slots.
          journal.held_count.store(0, std::memory_order_relaxed);
          return true;
        });
  }

 private:
  // Under the mutex: how many of the filled slots to take for up to `max`, so that the take
  // ends where a message does (the fragments of one message go to one consumer). Only we take
  // while we hold the mutex, and items only grow, so they are all there at the take (and more
  // may be: the take is exact, not "up to").
  std::uint32_t whole_messages(std::uint32_t max) const noexcept {
    const std::uint32_t filled = ring_.items().value();
    const std::uint32_t count = std::min(max, filled);
    // None yet: take none. (Taking `max` would take what a producer publishes meanwhile, without
    // the mutex, unextended: the first slots of a message in fragments.)
    if (count == 0) return 0;
    const std::uint32_t rest = ring_.slots().fragments_after(ring_.taken() + count - 1);
    return count + std::min(rest, filled - count);
  }

  // Under the mutex, with messages just journalled: from now on they are ours for the lease.
  void start_lease() noexcept {
    auto& entry = attachment_.entry();
    // relaxed: the mutex orders the lease with expirers.
    entry.lease_ms.store(lease_ms_, std::memory_order_relaxed);
    entry.taken_at.store(monotonic_ns(), std::memory_order_relaxed);
  }

  Ring& ring_;
  Attachment& attachment_;
  std::uint32_t lease_ms_;
};

}  // namespace shmq::detail
