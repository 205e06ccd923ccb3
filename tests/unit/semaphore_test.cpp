#include <catch2/catch.hpp>
#include <thread>

#include "shmq/detail/cursor_semaphore.hpp"

using namespace shmq;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  layout::SemaphoreData data{};
  CursorSemaphore semaphore{data};
  explicit Fixture(std::uint32_t count) { CursorSemaphore::initialise(data, count); }
};

}  // namespace

TEST_CASE("try_take takes what there is, up to the maximum, and says which units",
          "[unit][semaphore]") {
  Fixture f(5);
  UnitRun t = f.semaphore.try_take(3);
  CHECK(t.first == 0);
  CHECK(t.count == 3);
  t = f.semaphore.try_take(3);
  CHECK(t.first == 3);
  CHECK(t.count == 2);
  CHECK(f.semaphore.try_take(3).count == 0);
  CHECK(f.semaphore.try_take(0).count == 0);
  CHECK(f.semaphore.takers_cursor() == 5);
}

TEST_CASE("give adds n units in one call and moves the limit", "[unit][semaphore]") {
  Fixture f(0);
  f.semaphore.give(7);
  CHECK(f.semaphore.value() == 7);
  CHECK(f.semaphore.givers_limit() == 7);
  CHECK(f.semaphore.try_take(100).count == 7);
  CHECK(f.semaphore.value() == 0);
}

TEST_CASE("the cursors wrap around 2^32 and the count stays right", "[unit][semaphore]") {
  Fixture f(0);
  f.data.word.store((std::uint64_t{0xFFFFFFFEU} << 32) | 0xFFFFFFFEU);
  f.semaphore.give(5);
  CHECK(f.semaphore.value() == 5);
  const UnitRun t = f.semaphore.try_take(4);
  CHECK(t.first == 0xFFFFFFFEU);
  CHECK(t.count == 4);
  CHECK(f.semaphore.takers_cursor() == 2);
  CHECK(f.semaphore.value() == 1);
}

TEST_CASE("expand recovers a 64-bit position from its low half and a nearby hint",
          "[unit][semaphore]") {
  CHECK(expand(5, 0) == 5);
  CHECK(expand(0x00000002U, 0x1FFFFFFF0ULL) == 0x200000002ULL);  // low half wrapped ahead
  CHECK(expand(0xFFFFFFF0U, 0x200000002ULL) == 0x1FFFFFFF0ULL);  // hint ahead of the value
  CHECK(expand(100, 90) == 100);
}

TEST_CASE("rewinding the takers makes taken units available again", "[unit][semaphore]") {
  Fixture f(10);
  CHECK(f.semaphore.try_take(6).count == 6);
  f.semaphore.rewind_takers(2);
  CHECK(f.semaphore.value() == 8);
  CHECK(f.semaphore.try_take(8).first == 2);
}

TEST_CASE("a timed wait on an empty semaphore times out, not earlier than asked",
          "[unit][semaphore]") {
  for (auto strategy : {WaitStrategy::block, WaitStrategy::spin}) {
    Fixture f(0);
    const auto start = Clock::now();
    CHECK(f.semaphore.take(1, start + 20ms, strategy).count == 0);
    CHECK(Clock::now() - start >= 20ms);
    CHECK_FALSE(f.semaphore.wait_available(Clock::now() + 1ms, strategy));
  }
}

TEST_CASE("a deadline in the past still takes what is available", "[unit][semaphore]") {
  Fixture f(2);
  CHECK(f.semaphore.take(2, Clock::time_point::min(), WaitStrategy::block).count == 2);
  CHECK(f.semaphore.value() == 0);
}

TEST_CASE("a sleeping waiter is woken by a give from another thread", "[unit][semaphore]") {
  for (auto strategy : {WaitStrategy::block, WaitStrategy::spin}) {
    Fixture f(0);
    UnitRun got;
    std::thread waiter([&] { got = f.semaphore.take(10, Clock::now() + 30s, strategy); });
    std::this_thread::sleep_for(5ms);
    f.semaphore.give(3);
    waiter.join();
    CHECK(got.count == 3);
    CHECK(f.semaphore.value() == 0);
  }
}

TEST_CASE("units are conserved, and each handed out once, under concurrent takers and givers",
          "[unit][semaphore]") {
  Fixture f(0);
  constexpr std::uint32_t kPerThread = 100000;
  std::vector<std::uint8_t> handed_out(2 * kPerThread, 0);
  auto take = [&] {
    std::uint64_t mine = 0;
    while (mine < kPerThread) {
      const auto want = static_cast<std::uint32_t>(std::min<std::uint64_t>(16, kPerThread - mine));
      const UnitRun t = f.semaphore.take(want, Clock::now() + 30s, WaitStrategy::block);
      for (std::uint32_t i = 0; i < t.count; ++i) ++handed_out[t.first + i];
      mine += t.count;
    }
  };
  auto give = [&] {
    for (std::uint32_t i = 0; i < kPerThread; i += 4) f.semaphore.give(4);
  };
  std::thread t1(take), t2(take), p1(give), p2(give);
  p1.join();
  p2.join();
  t1.join();
  t2.join();
  CHECK(f.semaphore.value() == 0);
  CHECK(std::count(handed_out.begin(), handed_out.end(), 1) == 2 * kPerThread);
}
