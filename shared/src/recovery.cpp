#include "shmq/detail/recovery.hpp"

#include <algorithm>
#include <optional>

#include "shmq/detail/failpoint.hpp"
#include "shmq/detail/process_table.hpp"

namespace shmq {
namespace {

// relaxed for the monitoring counters below: they carry no ordering duty.
void count(std::atomic<std::uint64_t>& counter, std::uint64_t n) noexcept {
  if (n != 0) counter.fetch_add(n, std::memory_order_relaxed);
}

// The part of an entry's journalled range still in play: at or after `floor` (below it, slots
// were already handed on and may hold later messages) and below `limit` (never handed out).
PositionRange held_range(const layout::ProcessEntry& entry, std::uint64_t floor,
                         std::uint64_t limit, std::uint32_t capacity) noexcept {
  // relaxed: the mutex orders the journal between its writers and us.
  const std::uint64_t first = std::max(entry.held_first.load(std::memory_order_relaxed), floor);
  const std::uint64_t end = std::min(entry.held_first.load(std::memory_order_relaxed) +
                                         entry.held_count.load(std::memory_order_relaxed),
                                     limit);
  if (end <= first) return {first, 0};
  return {first, static_cast<std::uint32_t>(std::min<std::uint64_t>(end - first, capacity))};
}

}  // namespace

void Recovery::retire_producer_locked(layout::ProcessEntry& entry) noexcept {
  // A single producer owns everything between published and claimed; a multi producer owns its
  // journalled range. Complete messages there are kept; the rest are skipped, never delivered
  // half-written.
  const std::uint64_t limit = ring_.claimed();
  const std::uint64_t visible = ring_.published();
  const PositionRange range = geometry_.multi_producer
                                  ? held_range(entry, visible, limit, geometry_.capacity)
                                  : return_unwritten_reserve_locked(visible, limit);
  std::uint64_t skipped = 0;
  for (std::uint64_t p = range.first; p < range.first + range.count; ++p) {
    if (slots_.stamp_of(p) != layout::stamp(p, layout::kSlotPublished)) {
      slots_.set_stamp(p, layout::kSlotSkipped);
      ++skipped;
    }
  }
  // relaxed: the mutex orders the journal.
  entry.held_count.store(0, std::memory_order_relaxed);
  count(header_.membership.skipped, skipped);
  ring_.advance_published();
}

PositionRange Recovery::return_unwritten_reserve_locked(std::uint64_t visible,
                                                    std::uint64_t limit) noexcept {
  // Cursors a peer corrupted: move nothing (and scan nothing) on their word.
  if (limit < visible || limit - visible > geometry_.capacity) return {visible, 0};
  // A single producer takes room ahead of need (see Producer), and stores how far it has claimed
  // in the hint before it stamps any of it: nothing at or past the hint was written, so that
  // part goes back to the room word unread. Below it, it stamps in position order: after the
  // last stamped slot, what it claimed and never published goes back too, rather than to
  // consumers as skipped slots.
  // relaxed: the mutex orders this with the producer's own detach; a dead producer's stores
  // are long visible.
  const std::uint64_t claimed_hint = header_.producer.claimed.load(std::memory_order_relaxed);
  std::uint64_t end = std::clamp(claimed_hint, visible, limit);
  while (end > visible &&
         slots_.stamp_of(end - 1) != layout::stamp(end - 1, layout::kSlotPublished)) {
    --end;
  }
  if (end != limit) {
    ring_.room().rewind_takers(static_cast<std::uint32_t>(end));
    // relaxed: a hint (see Ring::claimed()).
    header_.producer.claimed.store(end, std::memory_order_relaxed);
  }
  return {visible, static_cast<std::uint32_t>(end - visible)};
}

void Recovery::retire_consumer_locked(layout::ProcessEntry& entry) noexcept {
  if (!geometry_.multi_consumer) {
    // A single consumer holds everything between released and taken: hand it out again.
    const std::uint64_t from = ring_.released();
    const std::uint64_t to = ring_.taken();
    if (to > from) {
      ring_.items().rewind_takers(static_cast<std::uint32_t>(from));
      // relaxed: a hint (see Ring::taken()).
      header_.consumer.taken.store(from, std::memory_order_relaxed);
      count(header_.membership.redelivered, to - from);
    }
    return;
  }
  orphan_held_locked(entry);
}

void Recovery::orphan_held_locked(layout::ProcessEntry& entry) noexcept {
  const PositionRange range =
      held_range(entry, ring_.released(), ring_.taken(), geometry_.capacity);
  std::uint64_t orphaned = 0;
  std::uint64_t unreadable = 0;
  for (std::uint64_t p = range.first; p < range.first + range.count; ++p) {
    const std::uint64_t stamp = slots_.stamp_of(p);
    if (stamp == layout::stamp(p, layout::kSlotPublished)) {
      slots_.set_stamp(p, layout::kSlotOrphaned);  // unfinished: the next consumer gets it
      ++orphaned;
    } else if (stamp == layout::stamp(p, layout::kSlotOrphaned)) {
      ++orphaned;  // it died between journalling orphans and re-stamping them
    } else if (stamp != layout::stamp(p, layout::kSlotDone)) {
      // Skipped (held no message), or a stamp only a peer's scribbling explains: nothing to
      // deliver again, and left as it is it would stop room's limit here for good.
      if (stamp != layout::stamp(p, layout::kSlotSkipped)) ++unreadable;
      slots_.set_stamp(p, layout::kSlotDone);
    }
  }
  count(header_.membership.skipped, unreadable);
  // relaxed: read under the consumers' mutex. Raised before the journal empties: dying in
  // between leaves the orphans both findable and in the journal (retired again, idempotent).
  if (orphaned != 0) header_.membership.orphans.store(1, std::memory_order_relaxed);
  // relaxed: the mutex orders the journal. Its holder, if alive, finds it empty when it comes to
  // release (under the mutex) and knows its messages went to others.
  entry.held_count.store(0, std::memory_order_relaxed);
  if (orphaned != 0) {
    count(header_.membership.redelivered, orphaned);
    ring_.items().wake_all();  // sleeping consumers: there is work behind the cursor
  }
  ring_.advance_released_locked();
}

std::uint32_t Recovery::expire_leases_locked(std::uint64_t now_ns) noexcept {
  if (!geometry_.multi_consumer) return 0;  // a single consumer has nobody to hand over to
  std::uint32_t expired = 0;
  for (auto& process : header_.processes) {
    // relaxed: under the mutex, which orders the journal and the lease between their writers.
    if (process.pid.load(std::memory_order_relaxed) == 0 ||
        process.role.load(std::memory_order_relaxed) !=
            static_cast<std::uint32_t>(layout::Role::consumer) ||
        process.held_count.load(std::memory_order_relaxed) == 0) {
      continue;
    }
    const std::uint64_t lease_ns =
        std::uint64_t{process.lease_ms.load(std::memory_order_relaxed)} * 1'000'000;
    const std::uint64_t taken_at = process.taken_at.load(std::memory_order_relaxed);
    if (lease_ns == 0 || now_ns < taken_at || now_ns - taken_at <= lease_ns) continue;
    orphan_held_locked(process);
    ++expired;
  }
  count(header_.membership.expired, expired);
  return expired;
}

std::uint32_t Recovery::recover_locked() {
  const std::uint32_t reaped = reap_dead_locked();
  expire_leases_locked(monotonic_ns());
  // Slots a producer stamped and did not advance over (it was stopped in between) are
  // published by any advancer: waiting consumers see them within a slice.
  if (geometry_.multi_producer) ring_.advance_published();
  return reaped;
}

void Recovery::retire_locked(std::uint32_t index) noexcept {
  layout::ProcessEntry& process = ring_.entry(index);
  // relaxed: the mutex orders entries between attach, detach and reapers.
  const auto role = static_cast<layout::Role>(process.role.load(std::memory_order_relaxed));
  if (role == layout::Role::producer) retire_producer_locked(process);
  if (role == layout::Role::consumer) retire_consumer_locked(process);
  process.role.store(0, std::memory_order_relaxed);
  // release: the entry is free only after its positions are dealt with.
  process.pid.store(0, std::memory_order_release);
  ring_.items().wake_all();  // consumers waiting for end of stream re-check who is attached
}

void Recovery::check_entry_locked(std::uint32_t index) const {
  const layout::ProcessEntry& process = ring_.entry(index);
  // relaxed: under the mutex, which orders entries between attachers, leavers and reapers.
  const std::uint32_t pid = process.pid.load(std::memory_order_relaxed);
  const std::uint32_t role = process.role.load(std::memory_order_relaxed);
  const std::uint32_t held = process.held_count.load(std::memory_order_relaxed);
  // Under the mutex an entry is either free (pid and role 0) or wholly in use: attaching writes
  // both inside it, and a holder that died half-way is cleaned up before anyone looks.
  const bool valid_role = role == static_cast<std::uint32_t>(layout::Role::producer) ||
                          role == static_cast<std::uint32_t>(layout::Role::consumer);
  if (pid == 0 ? role == 0 : valid_role && pid <= kMaxPid && held <= geometry_.capacity) return;
  throw QueueFault(Status::corrupt, "process entry " + std::to_string(index) +
                                        " holds nonsense (pid " + std::to_string(pid) +
                                        ", role " + std::to_string(role) + ")");
}

std::uint32_t Recovery::reap_dead_locked(std::optional<layout::Role> only) {
  std::uint32_t reaped = 0;
  for (std::uint32_t i = 0; i < layout::kMaxProcesses; ++i) {
    check_entry_locked(i);
    const layout::ProcessEntry& process = ring_.entry(i);
    // relaxed: under the mutex.
    const ProcessIdentity identity{process.pid.load(std::memory_order_relaxed),
                                   process.start_time.load(std::memory_order_relaxed)};
    if (identity.pid == 0 ||
        (only && process.role.load(std::memory_order_relaxed) != static_cast<std::uint32_t>(*only)) ||
        attachment_alive(identity, probe_entry_lock(ring_.file_descriptor(), i))) {
      continue;
    }
    retire_locked(i);
    ++reaped;
  }
  count(header_.membership.recoveries, reaped);
  return reaped;
}

PositionRange Recovery::take_orphans_locked(std::uint32_t index, std::uint32_t max) noexcept {
  // relaxed: under the mutex.
  if (header_.membership.orphans.load(std::memory_order_relaxed) == 0) return {};
  const std::uint64_t from = ring_.released();
  const std::uint64_t limit = ring_.taken();
  const auto orphaned = [this](std::uint64_t p) {
    return slots_.stamp_of(p) == layout::stamp(p, layout::kSlotOrphaned);
  };
  PositionRange run{};
  std::uint64_t p = from;
  for (; p < limit && p - from < geometry_.capacity && run.count == 0; ++p) {
    if (orphaned(p)) run.first = p, run.count = 1;
  }
  for (; p < limit && run.count < max && orphaned(p); ++p) ++run.count;
  // A message's fragments go to one consumer: a run ends where a message does. (A dead
  // consumer held whole messages, so the rest of this one is orphaned too.)
  if (run.count != 0) {
    const std::uint32_t rest = slots_.fragments_after(run.first + run.count - 1);
    for (std::uint32_t i = 0; i < rest && p < limit && orphaned(p); ++i, ++p) ++run.count;
  }
  if (run.count == 0) {
    header_.membership.orphans.store(0, std::memory_order_relaxed);
    return run;
  }
  // Journal first, then re-stamp: if we die in between, retiring us finds the run in our
  // journal, still (or again) orphaned.
  ring_.entry(index).held_first.store(run.first, std::memory_order_relaxed);
  ring_.entry(index).held_count.store(run.count, std::memory_order_relaxed);
  for (std::uint64_t q = run.first; q < run.first + run.count; ++q) {
    slots_.set_stamp(q, layout::kSlotPublished);  // ours now
    if (q == run.first) failpoint::reach(failpoint::kConsumerTakingOrphans);
  }
  return run;  // the flag stays up: the next take scans again and lowers it if none are left
}

void Recovery::repair_after_holder_died(layout::Role side) {
  // The kernel says the holder died, though /proc may still show it exiting. If it was moving
  // cursors, retire its entry now: its journal is exact only until someone else claims or takes.
  layout::MutexData& mutex = ring_.mutex_data(side);
  // relaxed: the mutex orders the mover word (and the entry's role, written under both).
  const std::uint32_t mover = mutex.mover.load(std::memory_order_relaxed);
  // Only an entry of this side: anything else (a peer's scribbling) is left to a reaper.
  if (mover < layout::kMaxProcesses &&
      ring_.entry(mover).role.load(std::memory_order_relaxed) == static_cast<std::uint32_t>(side)) {
    retire_locked(mover);
    count(header_.membership.recoveries, 1);
  }
  // Cleared only now: a repairer that dies half-way leaves the mover for the next one (retiring
  // is idempotent).
  mutex.mover.store(layout::kNoEntry, std::memory_order_relaxed);
  if (side == layout::Role::producer) {
    // An attacher (it holds both mutexes, the producers' first) that died between writing an
    // entry's role and its pid left a role in a free entry: clear it, so that only a peer's
    // scribbling counts as a corrupt entry.
    for (auto& process : header_.processes) {
      // relaxed: under the mutex.
      if (process.pid.load(std::memory_order_relaxed) == 0) {
        process.role.store(0, std::memory_order_relaxed);
      }
    }
    if (geometry_.multi_producer) ring_.advance_published();
  } else {
    // A holder of both that died handing messages over (reaping a dead consumer, expiring a
    // lease) left the hand-over half done: finish it before anyone takes orphans, which needs
    // only the consumers' side. Then a release whose give was left undone.
    reap_dead_locked(layout::Role::consumer);
    expire_leases_locked(monotonic_ns());
    if (geometry_.multi_consumer) ring_.advance_released_locked();
  }
  // Dead producers are reaped by the next process that holds both mutexes (an attacher, a
  // waiter's recovery): a holder of the consumers' mutex must not wait for the producers'.
}

void Ring::repair_after_holder_died(layout::Role side) {
  Recovery(*this).repair_after_holder_died(side);
}

}  // namespace shmq
