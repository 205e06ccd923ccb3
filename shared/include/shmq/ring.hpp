// The ring: slots addressed by position, the three semaphores, and the cursor moves that need the
// mutex. A thin handle over a Segment; Producer and Consumer are built on it.
#pragma once

#include <cstdint>
#include <span>

#include "shmq/futex_semaphore.hpp"
#include "shmq/robust_mutex.hpp"
#include "shmq/segment.hpp"

namespace shmq {

class Ring {
 public:
  explicit Ring(const Segment& segment) noexcept;

  [[nodiscard]] layout::Header& header() const noexcept { return header_; }
  [[nodiscard]] const Geometry& geometry() const noexcept { return geometry_; }
  [[nodiscard]] FutexSemaphore& room() noexcept { return room_; }
  [[nodiscard]] FutexSemaphore& items() noexcept { return items_; }
  [[nodiscard]] RobustMutex& mutex() noexcept { return mutex_; }

  [[nodiscard]] layout::SlotHeader& slot_header(std::uint64_t position) const noexcept {
    return *reinterpret_cast<layout::SlotHeader*>(segment_.slot(index_of(position)));
  }
  [[nodiscard]] std::byte* payload(std::uint64_t position) const noexcept {
    return segment_.slot(index_of(position)) + sizeof(layout::SlotHeader);
  }

  // Caller holds the mutex. Moves `published` over consecutive published (or skipped) slots and
  // returns how many it passed; those are the units to post on `items`.
  std::uint32_t advance_published_locked() noexcept;
  // Caller holds the mutex. Moves `released` over consecutive done slots and returns how many it
  // passed; those are the units to post on `room`.
  std::uint32_t advance_released_locked() noexcept;
  // Caller holds the mutex after its previous holder died: finishes any cursor move it left half
  // done and posts the units it owed.
  void repair_after_holder_died() noexcept;

  // Records `depth` as the high-water mark if it is the largest seen.
  void note_depth(std::uint32_t depth) noexcept;

 private:
  [[nodiscard]] std::uint64_t index_of(std::uint64_t position) const noexcept {
    return power_of_two_ ? (position & mask_) : (position % geometry_.capacity);
  }

  const Segment& segment_;
  layout::Header& header_;
  Geometry geometry_;
  FutexSemaphore room_;
  FutexSemaphore items_;
  RobustMutex mutex_;
  std::uint64_t mask_;
  bool power_of_two_;
};

}  // namespace shmq
