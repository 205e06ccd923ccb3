#include "shmq/robust_mutex.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include "shmq/errors.hpp"

namespace shmq {
namespace {

[[noreturn]] void fail(const char* what, int err) {
  throw Error(ErrorCode::system, std::string("queue mutex: ") + what + ": " + std::strerror(err),
              err);
}

}  // namespace

void RobustMutex::initialise(layout::MutexData& data) {
  pthread_mutexattr_t attr;
  if (int err = pthread_mutexattr_init(&attr)) fail("pthread_mutexattr_init", err);
  int err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (err == 0) err = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  if (err == 0) err = pthread_mutex_init(&data.mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  if (err != 0) fail("initialise", err);
  // relaxed: published with the rest of the header by the release store of `ready`.
  data.mover.store(layout::kNoEntry, std::memory_order_relaxed);
}

bool RobustMutex::lock() {
  const int err = pthread_mutex_lock(&data_.mutex);
  if (err == 0) return false;
  if (err == EOWNERDEAD) return true;
  if (err == ENOTRECOVERABLE) {
    throw Error(ErrorCode::corrupt,
                "queue mutex is not recoverable (a holder died and nobody repaired it); "
                "remove the queue and create it again",
                err);
  }
  fail("lock", err);
}

void RobustMutex::unlock() noexcept { pthread_mutex_unlock(&data_.mutex); }

void RobustMutex::mark_consistent() noexcept { pthread_mutex_consistent(&data_.mutex); }

}  // namespace shmq
