#include <catch2/catch.hpp>
#include <thread>

#include "shmq/futex_semaphore.hpp"

using namespace shmq;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  layout::SemaphoreData data{};
  FutexSemaphore semaphore{data};
  explicit Fixture(std::uint32_t count) { FutexSemaphore::initialise(data, count); }
};

}  // namespace

TEST_CASE("try_acquire takes exactly n units or none", "[unit][semaphore]") {
  Fixture f(5);
  CHECK(f.semaphore.try_acquire(3));
  CHECK(f.semaphore.value() == 2);
  CHECK_FALSE(f.semaphore.try_acquire(3));
  CHECK(f.semaphore.value() == 2);
  CHECK(f.semaphore.try_acquire(2));
  CHECK_FALSE(f.semaphore.try_acquire(1));
}

TEST_CASE("try_acquire_up_to takes what there is, up to the maximum", "[unit][semaphore]") {
  Fixture f(5);
  CHECK(f.semaphore.try_acquire_up_to(3) == 3);
  CHECK(f.semaphore.try_acquire_up_to(3) == 2);
  CHECK(f.semaphore.try_acquire_up_to(3) == 0);
  CHECK(f.semaphore.try_acquire_up_to(0) == 0);
}

TEST_CASE("post adds n units in one call", "[unit][semaphore]") {
  Fixture f(0);
  f.semaphore.post(7);
  CHECK(f.semaphore.value() == 7);
  CHECK(f.semaphore.try_acquire(7));
}

TEST_CASE("a timed wait on an empty semaphore times out, not earlier than asked",
          "[unit][semaphore]") {
  for (auto strategy : {WaitStrategy::block, WaitStrategy::spin}) {
    Fixture f(0);
    const auto start = Clock::now();
    CHECK_FALSE(f.semaphore.acquire(1, start + 20ms, strategy));
    CHECK(Clock::now() - start >= 20ms);
    CHECK(f.semaphore.acquire_up_to(4, Clock::now() + 1ms, strategy) == 0);
  }
}

TEST_CASE("a deadline in the past still takes what is available", "[unit][semaphore]") {
  Fixture f(2);
  CHECK(f.semaphore.acquire(2, Clock::time_point::min(), WaitStrategy::block));
  CHECK(f.semaphore.value() == 0);
}

TEST_CASE("a sleeping waiter is woken by a post from another thread", "[unit][semaphore]") {
  for (auto strategy : {WaitStrategy::block, WaitStrategy::spin}) {
    Fixture f(0);
    std::uint32_t got = 0;
    std::thread waiter([&] { got = f.semaphore.acquire_up_to(10, Clock::now() + 30s, strategy); });
    std::this_thread::sleep_for(5ms);
    f.semaphore.post(3);
    waiter.join();
    CHECK(got == 3);
    CHECK(f.semaphore.value() == 0);
  }
}

TEST_CASE("a waiter for n units is not satisfied by fewer", "[unit][semaphore]") {
  Fixture f(0);
  bool taken = false;
  std::thread waiter([&] { taken = f.semaphore.acquire(4, Clock::now() + 30s, WaitStrategy::block); });
  f.semaphore.post(2);
  f.semaphore.post(2);
  waiter.join();
  CHECK(taken);
  CHECK(f.semaphore.value() == 0);
}

TEST_CASE("units are conserved under concurrent takers and posters", "[unit][semaphore]") {
  Fixture f(0);
  constexpr std::uint32_t kPerThread = 100000;
  std::atomic<std::uint64_t> taken{0};
  auto take = [&] {
    std::uint64_t mine = 0;
    while (mine < kPerThread) {
      const auto want = static_cast<std::uint32_t>(std::min<std::uint64_t>(16, kPerThread - mine));
      mine += f.semaphore.acquire_up_to(want, Clock::now() + 30s, WaitStrategy::block);
    }
    taken += mine;
  };
  auto give = [&] {
    for (std::uint32_t i = 0; i < kPerThread; i += 4) f.semaphore.post(4);
  };
  std::thread t1(take), t2(take), p1(give), p2(give);
  p1.join();
  p2.join();
  t1.join();
  t2.join();
  CHECK(taken.load() == 2 * kPerThread);
  CHECK(f.semaphore.value() == 0);
}
