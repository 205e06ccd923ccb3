// A debug-build guard for "a handle is not thread-safe": two threads inside one Producer's or
// Consumer's calls at once abort with a message naming the mistake, instead of corrupting the
// handle's cursors quietly. Handing a handle from one thread to another between calls is fine.
// Compiled in when NDEBUG is not defined, or with SHMQ_CHECK_THREADS (CMake option of that
// name); otherwise an empty object that costs nothing.
#pragma once

#if !defined(NDEBUG) || defined(SHMQ_CHECK_THREADS)
#define SHMQ_ONE_THREAD_CHECK 1
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#endif

namespace shmq::detail {

#ifdef SHMQ_ONE_THREAD_CHECK
inline constexpr bool kChecksThreads = true;

class OneThreadCheck {
 public:
  // Marks the calling thread as inside a call for the scope's life; a thread already inside
  // (get() calls take()) enters again.
  class Scope {
   public:
    Scope(OneThreadCheck& check, const char* handle) : check_(check) {
      const std::thread::id self = std::this_thread::get_id();
      std::thread::id none{};
      // acquire: a thread that enters after another left sees what the other did to the handle.
      if (!check_.user_.compare_exchange_strong(none, self, std::memory_order_acquire) &&
          none != self) {
        std::fprintf(stderr,
                     "shmq: two threads used one %s at once; a handle is not thread-safe "
                     "(give each thread its own)\n",
                     handle);
        std::abort();
      }
      ++check_.depth_;
    }
    ~Scope() {
      // release: pairs with the acquire of the next thread to enter.
      if (--check_.depth_ == 0) check_.user_.store(std::thread::id{}, std::memory_order_release);
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    OneThreadCheck& check_;
  };

 private:
  std::atomic<std::thread::id> user_{};
  unsigned depth_ = 0;  // only the user touches it
};
#else
inline constexpr bool kChecksThreads = false;

class OneThreadCheck {
 public:
  struct Scope {
    Scope(OneThreadCheck& /*check*/, const char* /*handle*/) noexcept {}
  };
};
#endif

}  // namespace shmq::detail
