// The queue mutex on its own, in an anonymous shared mapping: a holder that dies hands the next
// locker a repair; a mutex left unrecoverable, or naming a thread that does not exist, fails
// every locker instead of wedging them; a live holder delays a locker only to its deadline.
#include <sys/mman.h>

#include <catch2/catch.hpp>
#include <new>

#include "child_process.hpp"
#include "shmq/detail/robust_mutex.hpp"
#include "shmq/errors.hpp"

using namespace shmq;
using shmq::test::ChildProcess;
using namespace std::chrono_literals;

namespace {

// A MutexData in memory that forked children share.
class SharedMutex {
 public:
  SharedMutex() {
    void* at = mmap(nullptr, sizeof(layout::MutexData), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(at != MAP_FAILED);
    data_ = new (at) layout::MutexData;
    RobustMutex::initialise(*data_);
  }
  ~SharedMutex() { munmap(data_, sizeof(layout::MutexData)); }
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  [[nodiscard]] RobustMutex mutex() const { return RobustMutex(*data_); }
  // glibc's lock word: the holder's thread id, and flag bits.
  [[nodiscard]] std::atomic_ref<int> lock_word() const {
    return std::atomic_ref<int>(data_->mutex.__data.__lock);
  }

 private:
  layout::MutexData* data_ = nullptr;
};

LockOutcome lock_without_deadline(RobustMutex& mutex) {
  return mutex.lock(Clock::time_point::max(), nullptr);
}

// Locks in a child that then exits without unlocking.
void die_holding(const SharedMutex& shared) {
  ChildProcess holder([&] {
    RobustMutex mutex = shared.mutex();
    return lock_without_deadline(mutex) == LockOutcome::held ? 0 : 1;
  });
  REQUIRE(holder.wait(10s) == 0);
}

// What a lock() with no deadline in a child comes back with (-1: it hung).
int lock_in_child(const SharedMutex& shared) {
  ChildProcess locker([&] {
    RobustMutex mutex = shared.mutex();
    return static_cast<int>(lock_without_deadline(mutex));
  });
  return locker.wait(10s);
}

bool lock_fails_in_child(const SharedMutex& shared) {
  return lock_in_child(shared) == static_cast<int>(LockOutcome::corrupt);
}

// A pid that names no process (a child that has exited and been reaped).
int gone_pid() {
  ChildProcess child([] { return 0; });
  const int pid = child.pid();  // wait() forgets it
  REQUIRE(child.wait(10s) == 0);
  return pid;
}

}  // namespace

TEST_CASE("the next locker after a holder died repairs, then the mutex works again",
          "[unit][mutex]") {
  SharedMutex shared;
  die_holding(shared);
  RobustMutex mutex = shared.mutex();
  CHECK(lock_without_deadline(mutex) == LockOutcome::held_after_death);  // repair
  mutex.mark_consistent();
  mutex.unlock();
  CHECK(lock_without_deadline(mutex) == LockOutcome::held);
  mutex.unlock();
}

TEST_CASE("a mutex left unrecoverable fails every later locker, none hangs", "[unit][mutex]") {
  SharedMutex shared;
  die_holding(shared);
  {
    RobustMutex mutex = shared.mutex();
    REQUIRE(lock_without_deadline(mutex) == LockOutcome::held_after_death);
    mutex.unlock();  // without mark_consistent(): unrecoverable from now on
  }
  CHECK(lock_fails_in_child(shared));
  CHECK(lock_fails_in_child(shared));  // not left held by the first failure
  CHECK(lock_fails_in_child(shared));
}

TEST_CASE("a lock word naming a thread that does not exist is corrupt, not waited on for ever",
          "[unit][mutex]") {
  SharedMutex shared;
  shared.lock_word().store(gone_pid(), std::memory_order_relaxed);  // relaxed: one thread here
  CHECK(lock_in_child(shared) == static_cast<int>(LockOutcome::corrupt));
}

TEST_CASE("a locker honours its deadline and its stop flag while a live process holds the mutex",
          "[unit][mutex]") {
  SharedMutex shared;
  RobustMutex mutex = shared.mutex();
  REQUIRE(lock_without_deadline(mutex) == LockOutcome::held);  // we live, and hold it
  ChildProcess timed([&] {
    RobustMutex other = shared.mutex();
    return static_cast<int>(other.lock(Clock::now() + 50ms, nullptr));
  });
  CHECK(timed.wait(10s) == static_cast<int>(LockOutcome::timeout));
  ChildProcess stopped([&] {
    RobustMutex other = shared.mutex();
    const std::atomic<bool> stop{true};
    return static_cast<int>(other.lock(Clock::time_point::max(), &stop));
  });
  CHECK(stopped.wait(10s) == static_cast<int>(LockOutcome::cancelled));
  mutex.unlock();
}
