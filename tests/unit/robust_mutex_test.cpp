// The queue mutex on its own, in an anonymous shared mapping: a holder that dies hands the next
// locker a repair, and a mutex left unrecoverable fails every locker instead of wedging them.
#include <sys/mman.h>

#include <catch2/catch.hpp>
#include <new>

#include "child_process.hpp"
#include "shmq/errors.hpp"
#include "shmq/robust_mutex.hpp"

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

 private:
  layout::MutexData* data_ = nullptr;
};

// Locks in a child that then exits without unlocking.
void die_holding(const SharedMutex& shared) {
  ChildProcess holder([&] {
    RobustMutex mutex = shared.mutex();
    (void)mutex.lock();
    return 0;
  });
  REQUIRE(holder.wait(10s) == 0);
}

// Whether a lock() in a child comes back (with an error) rather than hanging.
bool lock_fails_in_child(const SharedMutex& shared) {
  ChildProcess locker([&] {
    RobustMutex mutex = shared.mutex();
    try {
      (void)mutex.lock();
    } catch (const Error& error) {
      return error.code() == ErrorCode::corrupt ? 7 : 8;
    }
    return 0;
  });
  return locker.wait(10s) == 7;
}

}  // namespace

TEST_CASE("the next locker after a holder died repairs, then the mutex works again",
          "[unit][mutex]") {
  SharedMutex shared;
  die_holding(shared);
  RobustMutex mutex = shared.mutex();
  CHECK(mutex.lock());  // the previous holder died: repair
  mutex.mark_consistent();
  mutex.unlock();
  CHECK_FALSE(mutex.lock());
  mutex.unlock();
}

TEST_CASE("a mutex left unrecoverable fails every later locker, none hangs", "[unit][mutex]") {
  SharedMutex shared;
  die_holding(shared);
  {
    RobustMutex mutex = shared.mutex();
    REQUIRE(mutex.lock());
    mutex.unlock();  // without mark_consistent(): unrecoverable from now on
  }
  CHECK(lock_fails_in_child(shared));
  CHECK(lock_fails_in_child(shared));  // not left held by the first failure
  CHECK(lock_fails_in_child(shared));
}
