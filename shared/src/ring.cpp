#include "shmq/ring.hpp"

namespace shmq {

Ring::Ring(const Segment& segment) noexcept
    : segment_(segment),
      header_(segment.header()),
      geometry_(segment.geometry()),
      room_(header_.room),
      items_(header_.items),
      mutex_(header_.mutex),
      mask_(geometry_.capacity - 1U),
      power_of_two_((geometry_.capacity & (geometry_.capacity - 1U)) == 0) {}

std::uint32_t Ring::advance_published_locked() noexcept {
  // relaxed: the mutex orders cursor accesses between its holders.
  const std::uint64_t start = header_.producer.published.load(std::memory_order_relaxed);
  const std::uint64_t limit = header_.producer.claimed.load(std::memory_order_relaxed);
  std::uint64_t position = start;
  while (position < limit && position - start < geometry_.capacity) {
    // acquire: pairs with the writer's release of the stamp, so its payload is complete.
    const std::uint64_t stamp = slot_header(position).stamp.load(std::memory_order_acquire);
    if (stamp != layout::stamp(position, layout::kSlotPublished) &&
        stamp != layout::stamp(position, layout::kSlotSkipped)) {
      break;
    }
    ++position;
  }
  // release: consumers and monitors reading `published` see the slots' contents.
  header_.producer.published.store(position, std::memory_order_release);
  return static_cast<std::uint32_t>(position - start);
}

std::uint32_t Ring::advance_released_locked() noexcept {
  // relaxed: the mutex orders cursor accesses between its holders.
  const std::uint64_t start = header_.consumer.released.load(std::memory_order_relaxed);
  const std::uint64_t limit = header_.consumer.taken.load(std::memory_order_relaxed);
  std::uint64_t position = start;
  while (position < limit && position - start < geometry_.capacity) {
    // acquire: the consumer that marked the slot done has finished reading it.
    if (slot_header(position).stamp.load(std::memory_order_acquire) !=
        layout::stamp(position, layout::kSlotDone)) {
      break;
    }
    ++position;
  }
  // release: a producer that reuses these slots comes after the reads that finished them.
  header_.consumer.released.store(position, std::memory_order_release);
  return static_cast<std::uint32_t>(position - start);
}

void Ring::repair_after_holder_died() noexcept {
  // A holder publishes its cursor change in one store and posts after unlocking, so the state it
  // left is consistent; what it may not have done is post the units it advanced over. The
  // reconciliation of counts with cursors is done by the recovery pass; here we only make sure
  // the cursors have moved over everything that is ready.
  const std::uint32_t publishable = advance_published_locked();
  const std::uint32_t releasable = advance_released_locked();
  if (publishable != 0) items_.post(publishable);
  if (releasable != 0) room_.post(releasable);
  // relaxed: a monitoring counter.
  header_.membership.recoveries.fetch_add(1, std::memory_order_relaxed);
}

void Ring::note_depth(std::uint32_t depth) noexcept {
  // relaxed: a monitoring maximum; a lost race only delays the update to the next call.
  std::uint64_t seen = header_.producer.high_water.load(std::memory_order_relaxed);
  while (depth > seen && !header_.producer.high_water.compare_exchange_weak(
                             seen, depth, std::memory_order_relaxed)) {
  }
}

}  // namespace shmq
