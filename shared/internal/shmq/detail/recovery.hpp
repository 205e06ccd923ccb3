// Recovery: what a process does, under the ring's mutexes, about peers that died, left, or held
// messages past their lease. A view over a Ring, made where it is needed (it holds nothing of
// its own); recovery.cpp has the algorithms.
//
// Everything here runs under both mutexes (but where it says which) and is idempotent: a
// reaper that dies half-way leaves state the next one finishes, because an entry is freed
// (pid = 0) only after its positions are dealt with, and every step re-derives what to do from
// the semaphore words and slot stamps.
#pragma once

#include <cstdint>
#include <optional>

#include "shmq/detail/ring.hpp"

namespace shmq {

class Recovery {
 public:
  explicit Recovery(Ring& ring) noexcept
      : ring_(ring), header_(ring.header()), geometry_(ring.geometry()), slots_(ring.slots()) {}

  // Undoes what process entry `index` holds (it died, or it is leaving) and frees the entry:
  // a producer's unpublished slots are skipped, a consumer's unfinished messages become
  // deliverable again.
  void retire_locked(std::uint32_t index) noexcept;
  // Retires every entry whose process is dead (of role `only`, if given); returns how many.
  // Throws QueueFault(corrupt) if an entry in use is not a valid entry (it is never taken for a
  // process that left). Under both mutexes, or the consumers' alone for consumers.
  std::uint32_t reap_dead_locked(std::optional<layout::Role> only = std::nullopt);
  // Hands what live consumers have held past their lease (multi-consumer) to the others, as if
  // they had died; returns how many consumers lost theirs. `now_ns`: monotonic_ns().
  std::uint32_t expire_leases_locked(std::uint64_t now_ns) noexcept;
  // What a process that waits does about its peers: reap_dead_locked(), then
  // expire_leases_locked(). Returns how many dead processes it reaped.
  std::uint32_t recover_locked();
  // Multi-consumer: takes up to `max` orphaned messages (left by a consumer that died), if any,
  // journalling them in process entry `index` before claiming them.
  PositionRange take_orphans_locked(std::uint32_t index, std::uint32_t max) noexcept;
  // The mutex of `side` said its holder died: retires the entry it was moving cursors for,
  // clears what a half-done attach left (the producers' mutex: an attacher takes it first), and
  // redoes a give that side may have left undone.
  void repair_after_holder_died(layout::Role side);

 private:
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

  Ring& ring_;
  layout::Header& header_;
  const Geometry& geometry_;
  const SlotArray& slots_;
};

}  // namespace shmq
