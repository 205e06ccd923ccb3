#include "shmq/detail/ring.hpp"

#include <algorithm>

#include "shmq/detail/failpoint.hpp"

namespace shmq {

Ring::Ring(const Segment& segment, const std::atomic<bool>* stop) noexcept
    : segment_(segment),
      header_(segment.header()),
      geometry_(segment.geometry()),
      slots_(segment),
      room_(header_.room),
      items_(header_.items),
      mutex_(header_.mutex),
      loss_probe_{segment.slot(geometry_.capacity - 1) + segment.slot_stride() - 1,
                  &segment.lost_flag()},
      stop_(stop) {}

// relaxed on the hints: they only supply upper bits, and lag the truth by at most a batch.
std::uint64_t Ring::claimed() const noexcept {
  return expand(room_.takers_cursor(), header_.producer.claimed.load(std::memory_order_relaxed));
}
std::uint64_t Ring::published() const noexcept {
  return expand(items_.givers_limit(), header_.producer.published.load(std::memory_order_relaxed));
}
std::uint64_t Ring::taken() const noexcept {
  return expand(items_.takers_cursor(), header_.consumer.taken.load(std::memory_order_relaxed));
}
std::uint64_t Ring::released() const noexcept {
  return expand(room_.givers_limit() - geometry_.capacity,
                header_.consumer.released.load(std::memory_order_relaxed));
}

PositionRange Ring::take_journalled_locked(CursorSemaphore& semaphore,
                                           std::atomic<std::uint64_t>& hint, std::uint32_t index,
                                           std::uint32_t max, std::string_view step) noexcept {
  // relaxed: the hint supplies the upper bits; the mutex orders it with other movers.
  const std::uint64_t upper = hint.load(std::memory_order_relaxed);
  const std::uint64_t first = expand(semaphore.takers_cursor(), upper);
  auto& journal = entry(index);
  // relaxed: the mutex orders the journal. Written before the take, so a reaper knows what we
  // may hold if we die in between (it clips the range to what was really taken).
  journal.held_first.store(first, std::memory_order_relaxed);
  journal.held_count.store(max, std::memory_order_relaxed);
  failpoint::reach(step);
  const std::uint32_t count = semaphore.try_take(max).count;
  journal.held_count.store(count, std::memory_order_relaxed);
  // relaxed: a hint (see claimed() and taken()).
  hint.store(first + count, std::memory_order_relaxed);
  return {first, count};
}

std::uint32_t Ring::advance_published_locked() noexcept {
  const std::uint64_t start = published();
  const std::uint64_t limit = claimed();
  std::uint64_t position = start;
  while (position < limit && position - start < geometry_.capacity) {
    const std::uint64_t stamp = slots_.stamp_of(position);
    if (stamp != layout::stamp(position, layout::kSlotPublished) &&
        stamp != layout::stamp(position, layout::kSlotSkipped)) {
      break;
    }
    ++position;
  }
  const auto count = static_cast<std::uint32_t>(position - start);
  if (count != 0) {
    note_depth(items_.give(count));  // the publication: consumers may take these positions now
    // relaxed: a hint (see published()).
    header_.producer.published.store(position, std::memory_order_relaxed);
  }
  return count;
}

std::uint32_t Ring::advance_released_locked() noexcept {
  const std::uint64_t start = released();
  const std::uint64_t limit = taken();
  std::uint64_t position = start;
  while (position < limit && position - start < geometry_.capacity &&
         slots_.stamp_of(position) == layout::stamp(position, layout::kSlotDone)) {
    ++position;
  }
  const auto count = static_cast<std::uint32_t>(position - start);
  if (count != 0) {
    room_.give(count);  // producers may overwrite these slots now
    // relaxed: a hint (see released()).
    header_.consumer.released.store(position, std::memory_order_relaxed);
  }
  return count;
}

std::uint32_t Ring::attached(layout::Role role) const noexcept {
  std::uint32_t count = 0;
  for (const auto& entry : header_.processes) {
    // acquire: an entry's role is written before its pid.
    if (entry.pid.load(std::memory_order_acquire) != 0 &&
        entry.role.load(std::memory_order_relaxed) == static_cast<std::uint32_t>(role)) {
      ++count;
    }
  }
  return count;
}

void Ring::note_depth(std::uint32_t depth) noexcept {
  depth = std::min(depth, geometry_.capacity);  // a corrupt word may count more
  // relaxed: a monitoring maximum; a lost race only delays the update to the next call.
  std::uint64_t seen = header_.producer.high_water.load(std::memory_order_relaxed);
  while (depth > seen && !header_.producer.high_water.compare_exchange_weak(
                             seen, depth, std::memory_order_relaxed)) {
  }
}

}  // namespace shmq
