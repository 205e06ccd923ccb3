// How a producer claims room and publishes: alone, on a single-producer queue, or as one of
// several, under the mutex with a journal. One algorithm each; Producer::Impl has both and
// uses the one its queue's mode (fixed at creation) picks.
#pragma once

#include <algorithm>
#include <cstdint>

#include "shmq/detail/failpoint.hpp"
#include "shmq/detail/process_table.hpp"
#include "shmq/detail/ring.hpp"

namespace shmq::detail {

// The single producer is room's sole taker, so it takes every free slot at once and claims
// from that reserve: a claim then touches no line consumers write, and their releases find the
// room word in their own cache (two cache-line transfers fewer per message when the queue runs
// one message at a time). Detaching, or recovery if it dies, gives back what it never
// published (Recovery::retire_producer_locked). No mutex, no journal.
class SoleProducing {
 public:
  explicit SoleProducing(Ring& ring) noexcept
      : ring_(ring), next_(ring.claimed()), reserved_end_(next_) {}

  // Up to `max` free slots, never waiting; count 0 if fewer than `need` (at least one) are
  // free. `lost()` says whether the room word is no longer ours to take from; asked only when
  // the reserve runs short.
  template <class Lost>
  PositionRange claim(std::uint32_t max, Lost lost, std::uint32_t need = 1) noexcept {
    if (reserved_end_ - next_ < max && !lost()) top_up_reserve();
    const auto count =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(max, reserved_end_ - next_));
    if (count == 0 || count < need) return {};
    const PositionRange range{next_, count};
    next_ += count;
    // relaxed: a hint (see Ring::claimed()), and where `shmq stat` sees our reserve start; we
    // are its only writer.
    ring_.header().producer.claimed.store(next_, std::memory_order_relaxed);
    return range;
  }

  // Makes the stamped slots [first, first + count) visible to consumers.
  void publish(std::uint64_t first, std::uint32_t count) noexcept {
    // The publication: one fetch_add for the batch, which also tells how many wait now.
    ring_.note_depth(ring_.items().give(count));
    // relaxed: a hint (see Ring::published()).
    ring_.header().producer.published.store(first + count, std::memory_order_relaxed);
  }

  // Free slots taken from the word and not yet claimed.
  [[nodiscard]] std::uint32_t reserve() const noexcept {
    return static_cast<std::uint32_t>(reserved_end_ - next_);
  }

 private:
  void top_up_reserve() noexcept {
    // One CAS for all that is free (never more than a ring: the word may be corrupt).
    reserved_end_ += ring_.room().try_take(ring_.geometry().capacity).count;
  }

  Ring& ring_;
  std::uint64_t next_;          // the next position we will claim
  std::uint64_t reserved_end_;  // room taken from the word up to here
};

// One of several producers: claims under the mutex, journalled in our process entry, and
// publishes by stamping and then advancing items' limit over every published slot in order
// (ours and others'), without the mutex. claim() may throw QueueFault (the mutex: deadline,
// stop, corruption).
class JournalledProducing {
 public:
  JournalledProducing(Ring& ring, Attachment& attachment) noexcept
      : ring_(ring), attachment_(attachment) {}

  // Up to `max` free slots, waiting for the mutex until `until`; count 0 if fewer than `need`
  // (at least one) are free.
  PositionRange claim(std::uint32_t max, Clock::time_point until, std::uint32_t need = 1) {
    return ring_.locked_as_mover(layout::Role::producer, attachment_.index(), until, [&] {
      // Room only grows while we hold the mutex (releases add to it; every claim is under it),
      // so `need` free now are still free at the take.
      if (need > 1 && ring_.room().value() < need) return PositionRange{};
      return ring_.take_journalled_locked(ring_.room(), ring_.header().producer.claimed,
                                          attachment_.index(), max,
                                          failpoint::kProducerHoldingMutex);
    });
  }

  // After our slots are stamped: empties our journal (our stamps now speak for our slots) and
  // advances items' limit over them and over others' waiting behind them. Dying in between
  // loses nothing: any later advance (a producer's, a waiting consumer's, a reaper's) gives
  // stamped slots. Never waits.
  void publish() noexcept {
    // release: our stamps come before the empty journal, for a reaper that reads it (under the
    // mutex) once we are dead.
    attachment_.entry().held_count.store(0, std::memory_order_release);
    ring_.advance_published();
  }

 private:
  Ring& ring_;
  Attachment& attachment_;
};

}  // namespace shmq::detail
