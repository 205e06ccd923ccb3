// Looking at queues without touching them: what `shmq list`, `shmq stat` and `shmq check` show.
// Everything here maps segments read-only; nothing attaches, nothing writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "shmq/geometry.hpp"
#include "shmq/wire.hpp"

namespace shmq {

struct ProcessInfo {
  std::uint32_t pid = 0;
  layout::Role role = layout::Role::none;
  bool alive = false;
  std::uint64_t messages = 0;  // put (producer) or finished (consumer) by this process
  // Whether `alive` checked its attachment's lock too; if not (it took none, or locks cannot be
  // probed here), it rests on pid and start time, and a pid reused within one tick passes.
  bool by_lock = false;
  std::string note;  // what the process says it is connected to (AttachOptions::note), or ""
};

enum class QueueState : std::uint8_t {
  healthy,  // consistent, every attached process alive
  stale,    // dead processes are still attached: the next process to attach or wait repairs it
  corrupt,  // an invariant does not hold (see QueueSnapshot::problems)
};

[[nodiscard]] const char* to_string(QueueState state) noexcept;

struct QueueSnapshot {
  std::string name;
  std::chrono::system_clock::time_point taken_at;  // when the reading began
  Geometry geometry;
  std::uint32_t owner = 0;  // uid that created the segment
  std::uint32_t depth = 0;  // filled slots waiting (each one message, or several packed)
  std::uint32_t free_slots = 0;
  std::uint64_t high_water = 0;  // largest depth ever, as producers saw it when publishing
  std::uint64_t messages_in = 0;
  std::uint64_t messages_out = 0;
  std::uint64_t producer_waits = 0;  // times a producer slept because the ring was full
  std::uint64_t consumer_waits = 0;  // times a consumer slept because the ring was empty
  std::uint64_t recoveries = 0;      // dead processes reaped
  std::uint64_t skipped = 0;         // slots dropped because their producer died
  std::uint64_t redelivered = 0;     // messages handed out again after their consumer died
  std::uint64_t producers_ever = 0;  // producer attachments since the queue was created
  std::uint64_t consumers_ever = 0;  // consumer attachments since the queue was created
  // A producer that ends the stream only explicitly (a bridge) has not ended it yet: consumers
  // wait for it, or its successor, even with no producer attached.
  bool end_owed = false;
  std::uint64_t incarnation = 0;  // the creator's random id of this queue
  std::vector<ProcessInfo> processes;
  std::vector<std::string> problems;  // broken invariants, one line each

  [[nodiscard]] std::uint32_t count(layout::Role role, bool alive) const noexcept;
  // Messages published and not yet released, from the totals: a packed slot of `depth` holds
  // several. Zero if the totals, read one after the other, cross.
  [[nodiscard]] std::uint64_t messages_waiting() const noexcept;
  [[nodiscard]] QueueState state() const noexcept;
};

// Reads a snapshot of the named queue (Segment::inspect). Counters are read one after another
// while the queue runs; the invariants are checked on a stable reading of both semaphores.
// Throws shmq::Error as opening does (missing, foreign, corrupt header, ...). Of `config`, only
// allowed_owner (whose broken file counts as ours) and ready_timeout matter.
[[nodiscard]] QueueSnapshot inspect_queue(const std::string& name, const QueueConfig& config = {});

// A file in /dev/shm that this process may not open, of a size some queue could have: another
// user's queue, perhaps, though whether it is one cannot be told without reading it (ipcs shows
// the same facts).
struct UnreadableFile {
  std::string name;
  std::uint32_t owner = 0;  // uid
  std::string owner_name;   // the owner's login name, or the uid in digits if it has none
  std::uint32_t mode = 0;   // permission bits (st_mode & 07777)
  std::uint64_t size = 0;   // bytes
  std::chrono::system_clock::time_point born;  // creation, or else the last change of status
};

struct QueueListing {
  // Files that carry the shmq magic number, sorted. Files that are not shmq queues (including
  // other programs' segments) are left out; broken shmq queues are included.
  std::vector<std::string> names;
  // Regular files with a valid queue name this process may not open and whose size a queue could
  // have (layout::is_possible_segment_size), sorted by name. Empty ones, and those of any other
  // size, are left out: no queue looks like that.
  std::vector<UnreadableFile> unreadable;
};

// Reads /dev/shm once: what `shmq list` shows. Never blocks (a FIFO is not opened).
[[nodiscard]] QueueListing list_queues();

// list_queues().names.
[[nodiscard]] std::vector<std::string> list_queue_names();

}  // namespace shmq
