// Each attachment's lock: one byte of the queue's file per process entry, locked by the
// attachment for as long as it lives (an open file description lock, F_OFD_SETLK, on a
// description of its own). The kernel drops it when the last descriptor of that description
// closes, a dying process's included, whatever becomes of its pid: a live process that reuses
// a dead attacher's pid and start time holds no lock, so it is not taken for the attacher.
//
// A child forked after attaching shares the description and keeps the lock while it lives;
// that is why liveness asks for the pid as well (see process_table.hpp), and why an attacher
// passes over a free entry whose byte is still held.
#pragma once

#include <cstdint>

#include "shmq/detail/layout.hpp"

namespace shmq {

// Entry i's byte is kEntryLockBase + i: beyond the end of any segment (kMaxSegmentSize), where
// locks are allowed and nothing is ever read or written.
inline constexpr std::int64_t kEntryLockBase = std::int64_t{1} << 40;
static_assert(layout::kMaxSegmentSize < kEntryLockBase);

enum class LockProbe : std::uint8_t {
  held,     // another open file description holds the entry's byte
  free,     // nobody does
  unknown,  // the kernel could not say (no OFD locks, or no descriptor to ask with)
};

// Whether an open file description other than `fd`'s holds entry `index`'s byte. `fd` may be
// read-only. Never blocks.
[[nodiscard]] LockProbe probe_entry_lock(int fd, std::uint32_t index) noexcept;

// A description of its own on a queue's file, holding at most one entry's byte.
class EntryLock {
 public:
  enum class Attempt : std::uint8_t { locked, held_elsewhere, failed };

  // Opens a new description of the file `segment_fd` opens, through /proc/self/fd (the same
  // file, with no name that could be swapped under us). unusable() if that fails (no /proc).
  explicit EntryLock(int segment_fd) noexcept;
  ~EntryLock() { close(); }
  EntryLock(const EntryLock&) = delete;
  EntryLock& operator=(const EntryLock&) = delete;

  [[nodiscard]] bool usable() const noexcept { return fd_ >= 0; }
  // Locks entry `index`'s byte; held_elsewhere if another description has it (a child forked
  // by an earlier owner of the entry), failed if locking does not work here. Never blocks.
  [[nodiscard]] Attempt try_lock(std::uint32_t index) noexcept;
  // Closes our descriptor. The lock goes with it, unless a forked child still has a copy; a
  // forked child closing its copy leaves ours alone (it is never unlocked explicitly).
  void close() noexcept;

 private:
  int fd_ = -1;
};

}  // namespace shmq
