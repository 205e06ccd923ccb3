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
      producer_mutex_(header_.producer_mutex),
      consumer_mutex_(header_.consumer_mutex),
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

std::uint32_t Ring::advance_published() noexcept {
  std::uint32_t given = 0;
  for (bool first = true;; first = false) {
    // The first read orders our stamps (stored just before) before our loads of others' stamps:
    // two producers publishing neighbouring slots at once would otherwise each miss the other's
    // stamp in a store buffer, and neither would give the later stretch (store buffering).
    const std::uint32_t seen_limit =
        first ? items_.givers_limit_after_our_stores() : items_.givers_limit();
    // relaxed: the hint supplies the upper bits (see published()).
    const std::uint64_t start =
        expand(seen_limit, header_.producer.published.load(std::memory_order_relaxed));
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
    if (count == 0) return given;
    // A lap or more behind the hint: we stalled, and the limit we read may have come round to
    // the same 32 bits again (ABA). Scan again from where the queue is now.
    // relaxed: as above.
    if (header_.producer.published.load(std::memory_order_relaxed) >= start + geometry_.capacity) {
      continue;
    }
    // The publication: consumers may take these positions now. Only from the limit we scanned
    // from: another advancer that got there first gave them (and we scan again from its end).
    if (const auto waiting = items_.give_from(seen_limit, count)) {
      note_depth(*waiting);
      raise_published_hint(position);
      given += count;
    }
  }
}

void Ring::raise_published_hint(std::uint64_t position) noexcept {
  // relaxed: a hint (see published()), raised only: an advancer that stalled after its give
  // must not store an old position over a newer one (a lag past 2^31 would misplace expand()).
  std::uint64_t hint = header_.producer.published.load(std::memory_order_relaxed);
  while (hint < position && !header_.producer.published.compare_exchange_weak(
                                hint, position, std::memory_order_relaxed)) {
  }
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
