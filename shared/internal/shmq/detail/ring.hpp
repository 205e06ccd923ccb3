// The ring: slots addressed by position, the room and items semaphores, the mutex, and every
// cursor move and repair that needs the mutex. A thin handle over a Segment; Producer and
// Consumer are built on it.
//
// Who moves what:
//   single producer:  room's cursor (claim) and items' limit (publish), without the mutex
//   multi producer:   both under the mutex, with a journal in the process entry
//   single consumer:  items' cursor (take) and room's limit (release), without the mutex
//   multi consumer:   both under the mutex, with a journal in the process entry
//   recovery:         under the mutex, only for a side whose mover is dead or multi
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <utility>

#include "shmq/detail/cursor_semaphore.hpp"
#include "shmq/detail/robust_mutex.hpp"
#include "shmq/detail/segment.hpp"

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
  static constexpr std::size_t kPrefetchSpan = 2048;  // bytes of one slot
  // Bytes ahead to prefetch. A slot comes from the other core's cache, which on a VM can take
  // half a microsecond; only many transfers in flight at once keep the walk from waiting on
  // each. Half the L1 cache: what is fetched is still there when the walk gets to it.
  static constexpr std::size_t kPrefetchDistance = 16 * 1024;

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

  // The slot a position lives in.
  [[nodiscard]] std::uint64_t index_of(std::uint64_t position) const noexcept {
    return power_of_two_ ? (position & mask_) : (position % geometry_.capacity);
  }
  [[nodiscard]] layout::SlotHeader& slot_header(std::uint64_t position) const noexcept {
    return *reinterpret_cast<layout::SlotHeader*>(segment_.slot(index_of(position)));
  }
  [[nodiscard]] std::byte* payload(std::uint64_t position) const noexcept {
    return segment_.slot(index_of(position)) + sizeof(layout::SlotHeader);
  }
  // Asks the CPU to fetch a slot ahead of use (for writing, or for reading): slots usually sit
  // in the other side's cache, and a batch walks through them in order. Covers the slot's first
  // kPrefetchSpan bytes (the hardware's own prefetcher follows a longer copy).
  void prefetch(std::uint64_t position, bool for_writing) const noexcept {
    const std::byte* first = segment_.slot(index_of(position));
    const std::size_t span = std::min<std::size_t>(segment_.slot_stride(), kPrefetchSpan);
    // __builtin_prefetch takes its read/write flag only as a constant.
    const auto fetch = [for_writing](const std::byte* at) {
      if (for_writing) {
        __builtin_prefetch(at, 1);
      } else {
        __builtin_prefetch(at, 0);
      }
    };
    for (std::size_t at = 0; at < span; at += layout::kCacheLine) fetch(first + at);
    fetch(first + span - 1);  // a slot need not start on a line: its last bytes may be on one more
  }
  // How many slots ahead to prefetch: about kPrefetchDistance bytes, at least the next slot.
  [[nodiscard]] std::uint32_t prefetch_ahead() const noexcept { return prefetch_ahead_; }
  // Before walking the batch [first, first + count): prefetches its first prefetch_ahead()
  // slots, so that many transfers are in flight from the start; the walk then prefetches slot
  // i + prefetch_ahead() as it reaches slot i.
  void prefetch_start(std::uint64_t first, std::uint32_t count, bool for_writing) const noexcept {
    const std::uint32_t n = std::min(count, prefetch_ahead_);
    for (std::uint32_t i = 0; i < n; ++i) prefetch(first + i, for_writing);
  }
  [[nodiscard]] std::uint64_t stamp_of(std::uint64_t position) const noexcept {
    // acquire: pairs with the release store that set the stamp; the slot's contents come first.
    return slot_header(position).stamp.load(std::memory_order_acquire);
  }
  void set_stamp(std::uint64_t position, layout::SlotState state) const noexcept {
    // release: what we did to the slot happens before anyone who sees the new stamp.
    slot_header(position).stamp.store(layout::stamp(position, state), std::memory_order_release);
  }

  // The cursors, read from the semaphore words (the truth) with upper bits from the hints.
  [[nodiscard]] std::uint64_t claimed() const noexcept;
  [[nodiscard]] std::uint64_t published() const noexcept;
  [[nodiscard]] std::uint64_t taken() const noexcept;
  [[nodiscard]] std::uint64_t released() const noexcept;

  // The sole mover of a side (a single consumer): takes up to `max` units of
  // `semaphore` without blocking and returns their positions, from `next`, which it advances
  // along with the side's 64-bit `hint`.
  static PositionRange take_alone(CursorSemaphore& semaphore, std::uint64_t& next,
                                  std::atomic<std::uint64_t>& hint, std::uint32_t max) noexcept {
    const UnitRun units = semaphore.try_take(max);  // the claim or take itself: one CAS
    if (units.count == 0) return {};
    const PositionRange range{next, units.count};
    next += units.count;
    // relaxed: a hint (see claimed() and taken()); we are its only writer.
    hint.store(next, std::memory_order_relaxed);
    return range;
  }

  // One of several movers of a side, inside locked_as_mover(index): journals in entry `index`
  // what it may take, takes up to `max` units of `semaphore`, journals what it really got, and
  // advances the side's 64-bit `hint`. Returns the positions taken. `step` is the failure point
  // between journal and take (crash tests).
  PositionRange take_journalled_locked(CursorSemaphore& semaphore,
                                       std::atomic<std::uint64_t>& hint, std::uint32_t index,
                                       std::uint32_t max, std::string_view step) noexcept;

  // Runs `body` holding the mutex; first repairs what a holder that died left behind. Throws
  // QueueFault if the mutex is not had by `until` (timeout), the stop flag is raised
  // (cancelled), or the mutex or what it protects is corrupt; public calls turn it into their
  // Status.
  template <class Body>
  decltype(auto) locked(Clock::time_point until, Body&& body) {
    MutexGuard guard(mutex_, until, stop_, [this] { repair_after_holder_died(); });
    return body();
  }
  // locked() with no deadline: for steps that must not be left half-done (publishing,
  // releasing, detaching); the stop flag and a corrupt mutex still end the wait.
  template <class Body>
  decltype(auto) locked(Body&& body) {
    return locked(Clock::time_point::max(), std::forward<Body>(body));
  }

  // Runs `body` holding the mutex as the mover for process entry `index`: `body` may journal
  // and move cursors, and if this process dies inside it, the next locker retires the entry.
  template <class Body>
  decltype(auto) locked_as_mover(std::uint32_t index, Clock::time_point until, Body&& body) {
    return locked(until, [&] {
      MoverMark mark(header_.mutex.mover, index);
      return body();
    });
  }

  // --- Caller holds the mutex. ---
  // Moves items' limit over consecutive published or skipped slots (multi-producer, or a dead
  // single producer); returns how many units it gave.
  std::uint32_t advance_published_locked() noexcept;
  // Moves room's limit over consecutive done slots (multi-consumer, or recovery).
  std::uint32_t advance_released_locked() noexcept;
  // Undoes what process entry `index` holds (it died, or it is leaving) and frees the entry:
  // a producer's unpublished slots are skipped, a consumer's unfinished messages become
  // deliverable again.
  void retire_locked(std::uint32_t index) noexcept;
  // Retires every entry whose process is dead; returns how many. Throws QueueFault(corrupt) if
  // an entry in use is not a valid entry (it is never taken for a process that left).
  std::uint32_t reap_dead_locked();
  // Hands what live consumers have held past their lease (multi-consumer) to the others, as if
  // they had died; returns how many consumers lost theirs. `now_ns`: monotonic_ns().
  std::uint32_t expire_leases_locked(std::uint64_t now_ns) noexcept;
  // What a process that waits does about its peers: reap_dead_locked(), then
  // expire_leases_locked(). Returns how many dead processes it reaped.
  std::uint32_t recover_locked();
  // Multi-consumer: takes up to `max` orphaned messages (left by a consumer that died), if any,
  // journalling them in process entry `index` before claiming them.
  PositionRange take_orphans_locked(std::uint32_t index, std::uint32_t max) noexcept;

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

  void repair_after_holder_died();
  // Throws QueueFault(corrupt) naming entry `index` unless it is free or a valid entry in use.
  void check_entry_locked(std::uint32_t index) const;
  void retire_producer_locked(layout::ProcessEntry& entry) noexcept;
  // Of the positions [visible, limit) a single producer owns, gives the unwritten tail back to
  // the room word and returns the rest.
  PositionRange return_unwritten_reserve_locked(std::uint64_t visible,
                                                std::uint64_t limit) noexcept;
  void retire_consumer_locked(layout::ProcessEntry& entry) noexcept;
  // Multi-consumer: makes the unfinished messages in an entry's journal deliverable again and
  // empties the journal.
  void orphan_held_locked(layout::ProcessEntry& entry) noexcept;

  const Segment& segment_;
  layout::Header& header_;
  Geometry geometry_;
  CursorSemaphore room_;
  CursorSemaphore items_;
  RobustMutex mutex_;
  const std::atomic<bool>* stop_;
  std::uint64_t mask_;
  bool power_of_two_;
  std::uint32_t prefetch_ahead_;
};

}  // namespace shmq
