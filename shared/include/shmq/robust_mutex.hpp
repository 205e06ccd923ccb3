// The queue's mutex role: a robust, process-shared pthread mutex in the segment.
//
// When a holder dies, the kernel hands the mutex to the next locker with EOWNERDEAD; that locker
// runs the caller's repair function on the state the mutex protects, marks the mutex consistent
// and goes on. Critical sections are short (cursor updates, never a copy).
#pragma once

#include "shmq/layout.hpp"

namespace shmq {

class RobustMutex {
 public:
  explicit RobustMutex(layout::MutexData& data) noexcept : data_(data) {}

  // Creator only, before the segment is marked ready. Throws shmq::Error on failure.
  static void initialise(layout::MutexData& data);

  // Blocks until held: retries for a few microseconds first (see robust_mutex.cpp), then sleeps
  // in the kernel. Returns true if the previous holder died while holding it (the caller
  // must then repair what it protects before relying on it). Throws shmq::Error if the mutex is
  // unusable.
  [[nodiscard]] bool lock();
  void unlock() noexcept;
  // Call after lock() returned true and the protected state is repaired.
  void mark_consistent() noexcept;

 private:
  layout::MutexData& data_;
};

// Holds the mutex for a scope; runs `repair` first if the previous holder died.
class MutexGuard {
 public:
  template <class Repair>
  MutexGuard(RobustMutex& mutex, Repair&& repair) : mutex_(mutex) {
    if (mutex_.lock()) {
      repair();
      mutex_.mark_consistent();
    }
  }
  ~MutexGuard() { mutex_.unlock(); }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;

 private:
  RobustMutex& mutex_;
};

}  // namespace shmq
