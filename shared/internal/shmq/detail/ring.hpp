// The ring: the room and items semaphores, the cursors they hold, the mutex, and the cursor
// moves made under it. Where slots are is slot_array.hpp's; what is done about dead and stopped
// peers, recovery.hpp's. A thin handle over a Segment; Producer and Consumer are built on it.
//
// Who moves what:
//   single producer:  room's cursor (claim) and items' limit (publish), without the mutex
//   multi producer:   claim under the producers' mutex, with a journal in the process entry;
//                     publish without it (any producer advances items' limit over stamped slots)
//   single consumer:  items' cursor (take) and room's limit (release), without the mutex
//   multi consumer:   both under the consumers' mutex, with a journal in the process entry
//   recovery:         under both mutexes (a dead side's mover: under that side's alone)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <utility>

#include "shmq/detail/cursor_semaphore.hpp"
#include "shmq/detail/robust_mutex.hpp"
#include "shmq/detail/segment.hpp"
#include "shmq/detail/slot_array.hpp"

namespace shmq {

// CLOCK_MONOTONIC in nanoseconds: one clock for every process of the host (leases).
[[nodiscard]] inline std::uint64_t monotonic_ns() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

// A run of positions handed to one process.
struct PositionRange {
  std::uint64_t first = 0;
  std::uint32_t count = 0;
};

// Adds to a monitoring counter; a counter with a single writer needs no read-modify-write.
inline void count_messages(std::atomic<std::uint64_t>& counter, std::uint64_t n,
                           bool several_writers) noexcept {
  // relaxed: monitoring counters with no ordering duty.
  if (several_writers) {
    counter.fetch_add(n, std::memory_order_relaxed);
  } else {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
}

class Ring {
 public:
  // `stop`: the attaching process's stop flag (may be null), honoured by every wait on the mutex.
  explicit Ring(const Segment& segment, const std::atomic<bool>* stop = nullptr) noexcept;

  [[nodiscard]] layout::Header& header() const noexcept { return header_; }
  [[nodiscard]] const Geometry& geometry() const noexcept { return geometry_; }
  [[nodiscard]] bool lost() const noexcept { return segment_.lost(); }
  // The segment's descriptor: what entry locks are probed with (see entry_lock.hpp).
  [[nodiscard]] int file_descriptor() const noexcept { return segment_.file_descriptor(); }
  [[nodiscard]] CursorSemaphore& room() noexcept { return room_; }
  [[nodiscard]] CursorSemaphore& items() noexcept { return items_; }
  [[nodiscard]] layout::ProcessEntry& entry(std::uint32_t index) const noexcept {
    return header_.processes[index];
  }

  // The mutex of one side (the producers' or the consumers'), with its mover word.
  [[nodiscard]] layout::MutexData& mutex_data(layout::Role side) const noexcept {
    return side == layout::Role::producer ? header_.producer_mutex : header_.consumer_mutex;
  }

  // Where each position's slot is, and its stamp.
  [[nodiscard]] const SlotArray& slots() const noexcept { return slots_; }

  // The cursors, read from the semaphore words (the truth) with upper bits from the hints.
  [[nodiscard]] std::uint64_t claimed() const noexcept;
  [[nodiscard]] std::uint64_t published() const noexcept;
  [[nodiscard]] std::uint64_t taken() const noexcept;
  [[nodiscard]] std::uint64_t released() const noexcept;

  // One of several movers of a side, inside locked_as_mover(index): journals in entry `index`
  // what it may take, takes up to `max` units of `semaphore`, journals what it really got, and
  // advances the side's 64-bit `hint`. Returns the positions taken. `step` is the failure point
  // between journal and take (crash tests).
  PositionRange take_journalled_locked(CursorSemaphore& semaphore,
                                       std::atomic<std::uint64_t>& hint, std::uint32_t index,
                                       std::uint32_t max, std::string_view step) noexcept;

  // Runs `body` holding both mutexes (the producers', then the consumers': the one order in
  // which anybody holds both), for what touches the process table or both sides: attaching,
  // detaching, reaping, expiring leases, confirming an end of stream. First repairs what a
  // holder that died left behind. Throws QueueFault if a mutex is not had by `until`
  // (timeout), the stop flag is raised (cancelled), the segment is lost, or a mutex or what it
  // protects is corrupt; public calls turn it into their Status.
  template <class Body>
  decltype(auto) locked(Clock::time_point until, Body&& body) {
    MutexGuard producers(producer_mutex_, until, stop_, &loss_probe_,
                         [this] { repair_after_holder_died(layout::Role::producer); });
    MutexGuard consumers(consumer_mutex_, until, stop_, &loss_probe_,
                         [this] { repair_after_holder_died(layout::Role::consumer); });
    return body();
  }
  // locked() with no deadline: for steps that must not be left half-done (detaching); the stop
  // flag and a corrupt mutex still end the wait.
  template <class Body>
  decltype(auto) locked(Body&& body) {
    return locked(Clock::time_point::max(), std::forward<Body>(body));
  }

  // Runs `body` holding the mutex of `side` alone, as the mover for process entry `index`:
  // `body` may journal and move that side's cursors, and if this process dies inside it, the
  // next locker retires the entry. A producer's claims never wait for a consumer's takes.
  template <class Body>
  decltype(auto) locked_as_mover(layout::Role side, std::uint32_t index, Clock::time_point until,
                                 Body&& body) {
    const bool producers = side == layout::Role::producer;
    MutexGuard guard(producers ? producer_mutex_ : consumer_mutex_, until, stop_, &loss_probe_,
                     [this, side] { repair_after_holder_died(side); });
    MoverMark mark(mutex_data(side).mover, index);
    return body();
  }

  // Moves items' limit over consecutive published or skipped slots (multi-producer, or a dead
  // single producer); returns how many units it gave. Needs no lock: several advancers may
  // race, and each stretch is given once (CursorSemaphore::give_from()).
  std::uint32_t advance_published() noexcept;

  // --- Caller holds the mutex. ---
  // Moves room's limit over consecutive done slots (multi-consumer, or recovery).
  std::uint32_t advance_released_locked() noexcept;
  // Processes attached in `role` (dead ones count until reaped). No lock needed.
  [[nodiscard]] std::uint32_t attached(layout::Role role) const noexcept;
  // Records `depth`, the messages waiting just after a publication (the peaks are there), as the
  // high-water mark if it is the largest seen.
  void note_depth(std::uint32_t depth) noexcept;

 private:
  // Sets the mutex's mover word for a scope (the mutex is held).
  class MoverMark {
   public:
    MoverMark(std::atomic<std::uint32_t>& mover, std::uint32_t index) : mover_(mover) {
      // relaxed: read only by a later holder of the mutex, which orders it.
      mover_.store(index, std::memory_order_relaxed);
    }
    ~MoverMark() { mover_.store(layout::kNoEntry, std::memory_order_relaxed); }
    MoverMark(const MoverMark&) = delete;
    MoverMark& operator=(const MoverMark&) = delete;

   private:
    std::atomic<std::uint32_t>& mover_;
  };

  // Sets the published hint to `position` unless it is past it already.
  void raise_published_hint(std::uint64_t position) noexcept;
  // Recovery's, run when the mutex of `side` says its holder died (see recovery.hpp).
  void repair_after_holder_died(layout::Role side);

  const Segment& segment_;
  layout::Header& header_;
  Geometry geometry_;
  SlotArray slots_;
  CursorSemaphore room_;
  CursorSemaphore items_;
  RobustMutex producer_mutex_;
  RobustMutex consumer_mutex_;
  LossProbe loss_probe_;
  const std::atomic<bool>* stop_;
};

}  // namespace shmq
