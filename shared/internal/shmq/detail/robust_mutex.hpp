// The queue's mutex role: a robust, process-shared pthread mutex in the segment.
//
// When a holder dies, the kernel hands the mutex to the next locker with EOWNERDEAD; that locker
// runs the caller's repair function on the state the mutex protects, marks the mutex consistent
// and goes on. Critical sections are short (cursor updates, never a copy).
//
// The segment is untrusted, so the mutex may be in a state no live process explains: a lock word
// naming a thread that does not exist (the kernel never hands such a mutex on), or bytes that
// glibc rejects. A locker waits in slices, so it honours its deadline and stop flag, and between
// slices judges the lock word: such a mutex is reported corrupt, not waited on for ever.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

#include "shmq/attach_options.hpp"
#include "shmq/detail/layout.hpp"
#include "shmq/errors.hpp"

namespace shmq {

// How a wait for the mutex notices that its segment was truncated under it. A holder that
// touched the missing pages unlocks into the zero pages put in their place (see
// truncation_guard.hpp), never in the file, so the mutex stays held there: a waiter touches the
// end of its own mapping once a slice, which raises the segment's loss if the file is shorter,
// and then gives up.
struct LossProbe {
  const volatile std::byte* last_byte = nullptr;
  const std::atomic<bool>* lost = nullptr;
};

enum class LockOutcome : std::uint8_t {
  held,            // we hold it
  held_after_death,  // we hold it; the previous holder died in it: repair, then mark_consistent()
  timeout,         // `until` passed while a live process held it
  cancelled,       // the stop flag was raised while we waited
  corrupt,         // it is in a state no live process can explain (see above)
  lost,            // its segment was truncated under us (see LossProbe)
};

class RobustMutex {
 public:
  explicit RobustMutex(layout::MutexData& data) noexcept : data_(data) {}

  // Creator only, before the segment is marked ready. Throws shmq::Error on failure.
  static void initialise(layout::MutexData& data);

  // Blocks until held, `until` passes or `stop` is raised (each noticed within a slice, so a
  // call whose deadline has passed still waits one slice for a holder that is only busy).
  // Retries for a few microseconds first (see robust_mutex.cpp), then sleeps in the kernel.
  // Never throws. `why` receives the reason for corrupt.
  // With `probe`, also ends with lost once the segment is (see LossProbe).
  [[nodiscard]] LockOutcome lock(Clock::time_point until, const std::atomic<bool>* stop,
                                 std::string* why = nullptr,
                                 const LossProbe* probe = nullptr) noexcept;
  void unlock() noexcept;
  // Call after lock() returned held_after_death and the protected state is repaired.
  void mark_consistent() noexcept;

 private:
  layout::MutexData& data_;
};

// A queue operation could not go on: the public call that ran into it returns `status` (or, when
// attaching, throws shmq::Error). Internal to the library; never leaves a public call.
class QueueFault {
 public:
  QueueFault(Status status, std::string why) : status_(status), why_(std::move(why)) {}
  [[nodiscard]] Status status() const noexcept { return status_; }
  [[nodiscard]] const std::string& why() const noexcept { return why_; }

 private:
  Status status_;
  std::string why_;
};

// Holds the mutex for a scope; runs `repair` first if the previous holder died. Throws
// QueueFault if the mutex cannot be had (timeout, cancelled, corrupt) or the repair found the
// state it protects corrupt.
class MutexGuard {
 public:
  template <class Repair>
  MutexGuard(RobustMutex& mutex, Clock::time_point until, const std::atomic<bool>* stop,
             const LossProbe* probe, Repair&& repair)
      : mutex_(mutex) {
    std::string why;
    switch (mutex_.lock(until, stop, &why, probe)) {
      case LockOutcome::held:
        return;
      case LockOutcome::held_after_death:
        try {
          repair();
        } catch (...) {
          mutex_.unlock();  // not consistent: every later locker is told it is corrupt
          throw;
        }
        mutex_.mark_consistent();
        return;
      case LockOutcome::timeout:
        throw QueueFault(Status::timeout, "its mutex stayed held past the deadline");
      case LockOutcome::cancelled:
        throw QueueFault(Status::cancelled, "stopped while waiting for its mutex");
      case LockOutcome::corrupt:
        throw QueueFault(Status::corrupt, why);
      case LockOutcome::lost:
        throw QueueFault(Status::lost, "its segment was truncated while we waited for its mutex");
    }
  }
  ~MutexGuard() { mutex_.unlock(); }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;

 private:
  RobustMutex& mutex_;
};

}  // namespace shmq
