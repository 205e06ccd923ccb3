#include "shmq/inspect.hpp"

#include "shmq/admin.hpp"

#include <algorithm>

#include "shmq/detail/process_table.hpp"
#include "shmq/detail/ring.hpp"
#include "shmq/detail/segment.hpp"
#include "shmq/detail/slot_verdict.hpp"
#include "shmq/errors.hpp"

namespace shmq {
namespace {

struct Counts {
  std::uint64_t items = 0;  // the semaphore words, as read
  std::uint64_t room = 0;
  bool stable = false;  // both words unchanged across a re-read
};

// acquire on every load: a reading that pairs with the last give/take is as fresh as it gets.
Counts read_counts(const layout::Header& header) {
  Counts counts;
  for (int attempt = 0; attempt < 1000 && !counts.stable; ++attempt) {
    counts.items = header.items.word.load(std::memory_order_acquire);
    counts.room = header.room.word.load(std::memory_order_acquire);
    counts.stable = header.items.word.load(std::memory_order_acquire) == counts.items &&
                    header.room.word.load(std::memory_order_acquire) == counts.room;
  }
  return counts;
}

// The messages waiting, [takers' cursor, givers' limit) of items, must be slots published (or
// skipped, or orphaned) for exactly their position, with a length that fits, and a packed one
// must split into its records exactly. Returns the first that is not, described, or an empty
// string.
std::string check_waiting_slots(const Segment& segment, const Counts& counts) {
  const Ring ring(segment);
  // relaxed: the hint only supplies the upper bits of the cursor read in `counts`.
  const std::uint64_t hint = segment.header().consumer.taken.load(std::memory_order_relaxed);
  const std::uint64_t first = expand(static_cast<std::uint32_t>(counts.items), hint);
  for (std::uint32_t i = 0; i < units_in(counts.items); ++i) {
    const std::uint64_t position = first + i;
    const auto& slot = ring.slots().header(position);
    // acquire: pairs with the producer's release of the stamp, so the length is its own.
    const std::uint64_t stamp = slot.stamp.load(std::memory_order_acquire);
    const std::uint32_t length = slot.length;
    const std::uint32_t records = slot.records;
    const bool skipped = stamp == layout::stamp(position, layout::kSlotSkipped);
    const bool waiting = stamp == layout::stamp(position, layout::kSlotPublished) || skipped ||
                         stamp == layout::stamp(position, layout::kSlotOrphaned);
    if (!waiting || length > ring.geometry().slot_size) {
      return "slot of waiting position " + std::to_string(position) + " holds stamp " +
             std::to_string(stamp) + ", length " + std::to_string(length);
    }
    const auto ignore = [](std::uint32_t, std::uint32_t) {};
    if (!skipped && records != 0 &&
        !split_records(ring.slots().payload(position), length, records, ignore)) {
      return "slot of waiting position " + std::to_string(position) + " packs " +
             std::to_string(records) + " records that do not fill its length " +
             std::to_string(length) + " exactly";
    }
  }
  return {};
}

void check_invariants(const Segment& segment, const Counts& counts, QueueSnapshot& snapshot) {
  const std::uint32_t capacity = snapshot.geometry.capacity;
  if (!counts.stable) return;  // too busy to catch a consistent pair: nothing to conclude
  if (snapshot.depth > capacity || snapshot.free_slots > capacity ||
      std::uint64_t{snapshot.depth} + snapshot.free_slots > capacity) {
    snapshot.problems.push_back("semaphores count " + std::to_string(snapshot.depth) +
                                " messages and " + std::to_string(snapshot.free_slots) +
                                " free slots in a ring of " + std::to_string(capacity));
    return;
  }
  std::string problem = check_waiting_slots(segment, counts);
  // Consumers may have moved on while we read the slots: only a still-current reading counts.
  const Counts after = read_counts(segment.header());
  if (!problem.empty() && after.items == counts.items && after.room == counts.room) {
    snapshot.problems.push_back(std::move(problem));
  }
}

// Slots a single producer took from the room word ahead of need and has not claimed yet
// (see Producer): free, though the word no longer counts them.
std::uint32_t single_producer_reserve(const layout::Header& header, const Counts& counts,
                                      const QueueSnapshot& snapshot) {
  const std::uint32_t free_in_word = units_in(counts.room);
  if (snapshot.geometry.multi_producer || free_in_word > snapshot.geometry.capacity) return 0;
  // relaxed: the producer's own claims, a monitoring snapshot; it may lag the word.
  const std::uint64_t claimed = header.producer.claimed.load(std::memory_order_relaxed);
  const std::uint64_t taken = expand(static_cast<std::uint32_t>(counts.room), claimed);
  const std::uint64_t limit = snapshot.geometry.capacity - free_in_word;
  return taken > claimed ? static_cast<std::uint32_t>(std::min(taken - claimed, limit)) : 0;
}

// Liveness as a reaper judges it; the entry locks are probed with our read-only descriptor, which
// works on anyone's queue we could open.
void read_processes(const Segment& segment, QueueSnapshot& snapshot) {
  for (std::uint32_t i = 0; i < layout::kMaxProcesses; ++i) {
    const layout::ProcessEntry& entry = segment.header().processes[i];
    // acquire: pid is set last when attaching; the other fields belong to it.
    const std::uint32_t pid = entry.pid.load(std::memory_order_acquire);
    if (pid == 0) continue;
    // relaxed: monitoring snapshots of fields a live process keeps current.
    const auto role = static_cast<layout::Role>(entry.role.load(std::memory_order_relaxed));
    const std::uint64_t start_time = entry.start_time.load(std::memory_order_relaxed);
    const std::uint64_t messages = entry.messages.load(std::memory_order_relaxed);
    if (role != layout::Role::producer && role != layout::Role::consumer) {
      snapshot.problems.push_back("process entry of pid " + std::to_string(pid) +
                                  " has an unknown role");
      continue;
    }
    const LockProbe lock = probe_entry_lock(segment.file_descriptor(), i);
    const bool by_lock = start_time != 0 && lock != LockProbe::unknown;
    snapshot.processes.push_back(
        {pid, role, attachment_alive({pid, start_time}, lock), messages, by_lock,
         read_note(entry)});
  }
}

}  // namespace

const char* to_string(QueueState state) noexcept {
  switch (state) {
    case QueueState::healthy:
      return "healthy";
    case QueueState::stale:
      return "stale";
    case QueueState::corrupt:
      return "corrupt";
  }
  return "unknown";
}

std::uint32_t QueueSnapshot::count(layout::Role role, bool alive) const noexcept {
  return static_cast<std::uint32_t>(
      std::count_if(processes.begin(), processes.end(),
                    [&](const ProcessInfo& p) { return p.role == role && p.alive == alive; }));
}

std::uint64_t QueueSnapshot::messages_waiting() const noexcept {
  return messages_in > messages_out ? messages_in - messages_out : 0;
}

QueueState QueueSnapshot::state() const noexcept {
  if (!problems.empty()) return QueueState::corrupt;
  const bool any_dead = std::any_of(processes.begin(), processes.end(),
                                    [](const ProcessInfo& p) { return !p.alive; });
  return any_dead ? QueueState::stale : QueueState::healthy;
}

QueueSnapshot inspect_queue(const std::string& name, const QueueConfig& config) {
  const Segment segment = Segment::inspect(name, config);
  const layout::Header& header = segment.header();
  QueueSnapshot snapshot;
  snapshot.name = name;
  snapshot.taken_at = std::chrono::system_clock::now();
  snapshot.geometry = segment.geometry();
  snapshot.owner = header.identity.fields.creator_uid;
  const Counts counts = read_counts(header);
  snapshot.depth = units_in(counts.items);
  snapshot.free_slots = units_in(counts.room) + single_producer_reserve(header, counts, snapshot);
  // relaxed: monitoring counters; each is a snapshot on its own.
  snapshot.high_water = header.producer.high_water.load(std::memory_order_relaxed);
  snapshot.messages_in = header.producer.messages_in.load(std::memory_order_relaxed);
  snapshot.messages_out = header.consumer.messages_out.load(std::memory_order_relaxed);
  snapshot.producer_waits = header.room.sleeps.load(std::memory_order_relaxed);
  snapshot.consumer_waits = header.items.sleeps.load(std::memory_order_relaxed);
  snapshot.recoveries = header.membership.recoveries.load(std::memory_order_relaxed);
  snapshot.skipped = header.membership.skipped.load(std::memory_order_relaxed);
  snapshot.redelivered = header.membership.redelivered.load(std::memory_order_relaxed);
  snapshot.producers_ever = header.membership.producers_ever.load(std::memory_order_relaxed);
  snapshot.consumers_ever = header.membership.consumers_ever.load(std::memory_order_relaxed);
  snapshot.end_owed = header.membership.end_owed.load(std::memory_order_relaxed) != 0;
  snapshot.incarnation = segment.incarnation();
  check_invariants(segment, counts, snapshot);
  read_processes(segment, snapshot);
  return snapshot;
}

std::vector<std::uint32_t> live_processes(const std::string& name, const QueueConfig& config) {
  std::vector<std::uint32_t> live;
  try {
    for (const auto& process : inspect_queue(name, config).processes) {
      if (process.alive) live.push_back(process.pid);
    }
  } catch (const Error& e) {
    // A broken queue of ours is no one's to guard; another program's file, or no name, is.
    if (e.code() == ErrorCode::incompatible || e.code() == ErrorCode::invalid_name) throw;
  }
  return live;
}

}  // namespace shmq
