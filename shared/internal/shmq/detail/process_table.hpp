// The attached-process table: who is attached in which role, and whether they are still alive.
//
// Attaching and detaching happen under the queue mutex, so "at most one producer" checks and the
// reaping of dead entries cannot race. An attachment lives while its process does (pid plus start
// time, so a pid reused in a later clock tick is not taken for a live peer; a stopped process is
// alive, a zombie is dead) and it holds its entry's lock (entry_lock.hpp: a pid reused within the
// same tick holds none). Either alone is not enough: a child forked after attaching keeps the
// lock, the pid check then says its parent is gone. Every process of a queue must share one PID
// namespace (pids are compared as this one sees them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shmq/attach_options.hpp"
#include "shmq/detail/entry_lock.hpp"
#include "shmq/detail/layout.hpp"

namespace shmq {

class Ring;

inline constexpr std::uint32_t kMaxPid = 1U << 22;  // Linux's PID_MAX_LIMIT: no pid is larger

struct ProcessIdentity {
  std::uint32_t pid = 0;
  std::uint64_t start_time = 0;  // clock ticks after boot (/proc/<pid>/stat field 22)
};

[[nodiscard]] ProcessIdentity current_process();
// The identity of a running process (start time 0 if it cannot be read).
[[nodiscard]] ProcessIdentity identity_of(std::uint32_t pid);
// Whether the process with this pid and start time is still running (stopped counts as running).
[[nodiscard]] bool is_alive(const ProcessIdentity& process);
// Whether an entry's attachment of `process` lives: its process is alive and, if it attached
// with a lock (start time known) and `lock` could be probed, the lock is held.
[[nodiscard]] bool attachment_alive(const ProcessIdentity& process, LockProbe lock);

// Puts `note` into an entry's note words: its first kNoteBytes bytes, NUL-padded.
void write_note(layout::ProcessEntry& entry, std::string_view note) noexcept;
// An entry's note as written by anyone: up to the first NUL, control bytes shown as '?'.
[[nodiscard]] std::string read_note(const layout::ProcessEntry& entry);

// One attachment of this process to a queue in a role; detaches when destroyed.
class Attachment {
 public:
  // Reaps dead peers first. Throws shmq::Error(role_taken) if `single` and a live process holds
  // the role, (table_full) if every entry is taken, (corrupt) if the mutex or the table is, and
  // (timeout, cancelled) if the mutex is not had by `until` or the stop flag is raised.
  // `note` goes into the entry for `shmq stat`; `owes_end` (a producer attached with
  // AttachOptions::ends_explicitly) raises the queue's end-owed flag as it attaches.
  Attachment(Ring& ring, layout::Role role, bool single, const std::string& name,
             Clock::time_point until, std::string_view note = {}, bool owes_end = false);
  ~Attachment();
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

  [[nodiscard]] std::uint32_t index() const noexcept { return index_; }
  [[nodiscard]] layout::ProcessEntry& entry() const noexcept { return *entry_; }
  // Producers attached, and producers ever attached, the moment we joined (before us).
  [[nodiscard]] std::uint32_t producers_attached_before() const noexcept { return producers_; }
  [[nodiscard]] std::uint64_t producers_ever_before() const noexcept { return producers_ever_; }
  // Whether messages were waiting the moment we joined, as producers_attached_before() was read:
  // in the ring, or taken by another consumer and not yet finished.
  [[nodiscard]] bool items_waiting_before() const noexcept { return items_waiting_; }
  // Dead processes whose entries we reaped while attaching.
  [[nodiscard]] std::uint32_t reaped() const noexcept { return reaped_; }
  // Leaves the role (idempotent): whatever the entry still holds is given back first, then the
  // entry's lock. In a child forked after attaching, only closes the child's copy of the lock's
  // descriptor: the entry and the lock are the parent's.
  void detach() noexcept;
  // Whether this is the process that attached (not a child forked after it).
  [[nodiscard]] bool in_attaching_process() const noexcept;
  // Whether our entry is no longer ours: another process retired it as dead while we live (it
  // cannot see us: another PID or time namespace). Reads only our own entry; inline, since
  // claims and publications ask. A check, not a lock: a retirement between it and what the
  // caller does next is not caught, so it narrows that (unsupported) case rather than closing it.
  [[nodiscard]] bool revoked() const noexcept {
    // relaxed: our own entry; only a reaper that wrongly judged us dead writes it besides us.
    return entry_->pid.load(std::memory_order_relaxed) != self_.pid ||
           entry_->start_time.load(std::memory_order_relaxed) != self_.start_time;
  }

 private:
  void attach(layout::Role role, bool single, const std::string& name, Clock::time_point until,
              std::string_view note, bool owes_end);
  [[nodiscard]] bool take_entry_lock(std::uint32_t index) noexcept;
  void attach_without_lock() noexcept;

  Ring& ring_;
  ProcessIdentity self_;
  EntryLock lock_;
  std::uint32_t index_ = 0;
  layout::ProcessEntry* entry_ = nullptr;
  std::uint32_t producers_ = 0;
  std::uint64_t producers_ever_ = 0;
  bool items_waiting_ = false;
  std::uint32_t reaped_ = 0;
  bool attached_ = false;
};

}  // namespace shmq
