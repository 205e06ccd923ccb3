// What a consumer holds on a multi-consumer queue: its lease runs out and the messages go to
// another consumer; a release the mutex holds up stays pending instead of being lost; end of
// stream waits for what another consumer holds.
#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "shmq/consumer.hpp"
#include "shmq/detail/ring.hpp"
#include "shmq/detail/segment.hpp"
#include "shmq/producer.hpp"
#include "test_queue.hpp"

using namespace shmq;
using namespace std::chrono_literals;
using shmq::test::queue_config;
using shmq::test::TestQueue;

namespace {

constexpr std::uint32_t kCapacity = 8;

AttachOptions with_lease(std::chrono::milliseconds lease, const std::atomic<bool>* stop = nullptr) {
  AttachOptions options;
  options.lease = lease;
  options.stop = stop;
  return options;
}

void put_messages(Producer& producer, int count) {
  for (int i = 0; i < count; ++i) {
    const std::string message = "message " + std::to_string(i);
    REQUIRE(producer.put_for(std::as_bytes(std::span(message)), 1s) == Status::ok);
  }
}

// A multi-consumer queue with a producer and two consumers: `holder` (its lease `lease`) has
// taken the first `count` messages into `held`; `other` holds nothing.
struct HeldByOne {
  HeldByOne(const std::string& tag, std::chrono::milliseconds lease, int count)
      : queue(tag),
        producer(queue.name(), OpenMode::create_only, queue_config(kCapacity, 64, true)),
        holder(queue.name(), OpenMode::open_only, {}, with_lease(lease)),
        other(queue.name(), OpenMode::open_only, {}, with_lease(0ms)) {
    put_messages(producer, count);
    REQUIRE(holder.take(held, kCapacity, Clock::now() + 1s) == Status::ok);
  }

  TestQueue queue;
  Producer producer;
  Consumer holder;
  Consumer other;
  ReadBatch held;
};

}  // namespace

TEST_CASE("a batch held past its lease goes to another consumer, and its holder learns it lost it",
          "[unit][lease]") {
  HeldByOne q("lease-expiry", 50ms, 3);
  auto& [queue, producer, holder, other, held] = q;
  REQUIRE(held.size() == 3);
  ReadBatch taken_over;
  // The other waits; within a reap interval past the lease it is handed the three.
  REQUIRE(other.take(taken_over, kCapacity, Clock::now() + 5s) == Status::ok);
  CHECK(taken_over.size() == 3);
  CHECK_FALSE(holder.still_holds(held));
  holder.release(held);
  CHECK(holder.messages() == 0);
  CHECK(holder.lost_to_lease() == 3);
  CHECK(other.still_holds(taken_over));
  other.release(taken_over);
  CHECK(other.messages() == 3);
  producer.close();
  std::vector<std::byte> out;
  CHECK(other.get_for(out, 2s) == Status::end_of_stream);  // nothing owed: the stream has ended
}

TEST_CASE("a release the mutex holds up stays pending and is done by the next take",
          "[unit][lease]") {
  TestQueue queue("release-held-up");
  Producer producer(queue.name(), OpenMode::create_only, queue_config(kCapacity, 64, true));
  std::atomic<bool> stop{false};
  Consumer consumer(queue.name(), OpenMode::open_only, {}, with_lease(0ms, &stop));
  put_messages(producer, 2);
  ReadBatch batch;
  REQUIRE(consumer.take(batch, kCapacity, Clock::now() + 1s) == Status::ok);
  const Segment view = Segment::open(queue.name(), OpenMode::open_only, QueueConfig{});
  Ring ring(view);
  {
    std::atomic<bool> holding{false};
    std::thread hog([&] {
      ring.locked([&] {
        holding.store(true);  // seq_cst: a test's handshake
        std::this_thread::sleep_for(200ms);
      });
    });
    while (!holding.load()) std::this_thread::yield();
    stop.store(true);  // the release gives up waiting for the mutex: cancelled
    consumer.release(batch);
    hog.join();
  }
  CHECK(consumer.messages() == 0);  // not counted as finished
  ReadBatch next;
  // The take releases first (the mutex is free now), then its wait sees the stop flag.
  CHECK(consumer.take(next, kCapacity, Clock::now() + 100ms) == Status::cancelled);
  CHECK(consumer.messages() == 2);
  stop.store(false);
  CHECK(ring.released() == ring.taken());
  put_messages(producer, kCapacity);  // the whole ring is free again
}

TEST_CASE("end of stream waits for the messages another consumer holds", "[unit][lease]") {
  HeldByOne q("eos-owed", 0ms, 2);
  auto& [queue, producer, holder, other, held] = q;
  producer.close();
  std::vector<std::byte> out;
  CHECK(other.get_for(out, 300ms) == Status::timeout);  // owed: the holder may yet die
  holder.release(held);
  CHECK(other.get_for(out, 2s) == Status::end_of_stream);
}
