// Either side may start first; whichever does creates the queue and the other opens it.
#include <catch2/catch.hpp>

#include "child_process.hpp"
#include "test_queue.hpp"
#include "workers.hpp"

using namespace shmq;
using namespace shmq::test;

namespace {

void check_in_order(const std::vector<Received>& records, std::uint64_t count) {
  REQUIRE(records.size() == count);
  for (std::uint64_t i = 0; i < count; ++i) {
    REQUIRE(records[i].producer == 1);
    REQUIRE(records[i].sequence == i);
  }
}

}  // namespace

// Starts one side, waits until it has created the queue, then starts the other.
static void run_in_order(bool consumer_first) {
  TestQueue queue(consumer_first ? "consumer-first" : "producer-first");
  TempFile record("records");
  const auto config = test_config(16, false);
  constexpr std::uint64_t kCount = 200000;
  auto consume_all = [&] { return consume(queue.name(), config, 1, record.path()); };
  auto produce_all = [&] { return produce(queue.name(), config, 1, kCount); };
  ChildProcess first(consumer_first ? std::function<int()>(consume_all) : produce_all);
  REQUIRE(wait_for_queue_file(queue.name()));
  ChildProcess second(consumer_first ? std::function<int()>(produce_all) : consume_all);
  CHECK(first.wait() == 0);
  CHECK(second.wait() == 0);
  check_in_order(read_records(record.path()), kCount);
}

TEST_CASE("consumer first: it creates the queue and receives everything in order",
          "[multiprocess]") {
  run_in_order(true);
}

TEST_CASE("producer first: it creates the queue, fills it and waits for a consumer",
          "[multiprocess]") {
  run_in_order(false);
}

TEST_CASE("both started at once: the loser of the creation race opens", "[multiprocess]") {
  for (int round = 0; round < 20; ++round) {
    TestQueue queue("race");
    TempFile record("records");
    const auto config = test_config(4, false);
    ChildProcess consumer([&] { return consume(queue.name(), config, 1, record.path()); });
    ChildProcess producer([&] { return produce(queue.name(), config, 1, 100); });
    CHECK(producer.wait() == 0);
    CHECK(consumer.wait() == 0);
    check_in_order(read_records(record.path()), 100);
  }
}

TEST_CASE("join in one process returns after a consumer in another finished everything",
          "[multiprocess]") {
  TestQueue queue("join");
  const auto config = test_config(64, false);
  Producer producer(queue.name(), OpenMode::create_only, config);
  for (int i = 0; i < 50; ++i) {
    std::vector<std::byte> message(64);
    message_format::write(message, 1, static_cast<std::uint64_t>(i));
    REQUIRE(producer.put(message) == Status::ok);
  }
  CHECK(producer.join(Clock::now() + std::chrono::milliseconds(5)) == Status::timeout);
  TempFile record("records");
  ChildProcess consumer([&] { return consume(queue.name(), config, 1, record.path()); });
  CHECK(producer.join(Clock::now() + std::chrono::seconds(60)) == Status::ok);
  producer.close();
  CHECK(consumer.wait() == 0);
  check_in_order(read_records(record.path()), 50);
}
