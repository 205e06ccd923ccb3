// A handle is not thread-safe: a build with the one-thread check (SHMQ_CHECK_THREADS, or no
// NDEBUG) aborts with a message when a second thread enters a handle's call, instead of letting
// the two corrupt its cursors. In a child process, since the check ends it.
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "shmq/consumer.hpp"
#include "shmq/detail/one_thread_check.hpp"
#include "shmq/inspect.hpp"
#include "test_queue.hpp"

using namespace shmq;
using namespace std::chrono_literals;

TEST_CASE("a second thread inside one Consumer's call aborts the process, in a checking build") {
  if constexpr (!detail::kChecksThreads) {
    SUCCEED("this build has no one-thread check (configure with -DSHMQ_CHECK_THREADS=ON)");
    return;
  }
  test::TestQueue queue("one-thread");
  test::ChildProcess child([&] {
    std::signal(SIGABRT, SIG_DFL);  // the check's abort ends the child, not Catch's handler
    Consumer consumer(queue.name(), OpenMode::create_only, QueueConfig{});
    std::thread waiter([&] {
      std::vector<std::byte> out;
      (void)consumer.get_for(out, 20s);  // no producer: it sleeps inside the call
    });
    // The waiter is inside get_for() once the queue counts a consumer's sleep.
    for (int i = 0; i < 10'000 && inspect_queue(queue.name()).consumer_waits == 0; ++i) {
      std::this_thread::sleep_for(1ms);
    }
    std::vector<std::byte> out;
    (void)consumer.try_get(out);  // a second thread in the same handle: the check aborts here
    waiter.join();
    return 0;  // not reached in a checking build
  });
  // -1: died of a signal (SIGABRT). Every wait in the child is bounded, so it is not a hang.
  REQUIRE(child.wait(60s) == -1);
}

TEST_CASE("one thread after another may use one Consumer, and a call may call another") {
  test::TestQueue queue("one-thread-handover");
  Consumer consumer(queue.name(), OpenMode::create_only, QueueConfig{});
  std::vector<std::byte> out;
  for (int i = 0; i < 3; ++i) {
    std::thread([&] { REQUIRE(consumer.try_get(out) == Status::empty); }).join();  // get -> take
  }
}
