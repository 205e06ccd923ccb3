// A peer that writes nonsense into a live segment, or truncates it, makes handles report corrupt
// or lost; they never read or write outside the mapping and never die of SIGBUS.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <random>
#include <string>
#include <thread>

#include "shmq/consumer.hpp"
#include "shmq/detail/segment.hpp"
#include "shmq/producer.hpp"
#include "test_queue.hpp"

using namespace shmq;
using namespace std::chrono_literals;
using shmq::test::TestQueue;

namespace {

constexpr std::uint32_t kSlotSize = 64;

QueueConfig small() {
  QueueConfig config;
  config.capacity = 16;
  config.slot_size = kSlotSize;
  return config;
}

Status put_text(Producer& producer, const std::string& text) {
  return producer.put_for(std::as_bytes(std::span(text)), 1s);
}

// A live queue with a producer and a consumer attached, and an attacker holding its own mapping
// of the same file.
struct UnderAttack {
  explicit UnderAttack(const char* tag)
      : queue(tag),
        producer(queue.name(), OpenMode::create_only, small()),
        consumer(queue.name(), OpenMode::open_only),
        view(Segment::open(queue.name(), OpenMode::open_only, QueueConfig{})) {}

  [[nodiscard]] layout::SlotHeader& slot(std::uint64_t index) const {
    return *reinterpret_cast<layout::SlotHeader*>(view.slot(index % view.geometry().capacity));
  }
  [[nodiscard]] layout::Header& header() const { return view.header(); }

  TestQueue queue;
  Producer producer;
  Consumer consumer;
  Segment view;
};

}  // namespace

TEST_CASE("a slot length beyond the slot size is reported as corrupt", "[unit][hostile]") {
  UnderAttack live("hostile-length");
  REQUIRE(put_text(live.producer, "first") == Status::ok);
  REQUIRE(put_text(live.producer, "second") == Status::ok);
  live.slot(0).length = 0xFFFFFFF0U;

  ReadBatch batch;
  CHECK(live.consumer.take(batch, 16, Clock::now() + 1s) == Status::corrupt);
  CHECK(batch.corrupt() == 1);
  REQUIRE(batch.size() == 1);  // the good message behind it is still delivered
  CHECK(std::string(reinterpret_cast<const char*>(batch[0].data()), batch[0].size()) == "second");
  live.consumer.release(batch);
}

TEST_CASE("a stamp that does not match its position is reported as corrupt", "[unit][hostile]") {
  UnderAttack live("hostile-stamp");
  REQUIRE(put_text(live.producer, "message") == Status::ok);
  // A stamp from a later lap: looks published, but not for this position.
  live.slot(0).stamp.store(layout::stamp(16, layout::kSlotPublished));
  std::vector<std::byte> out;
  CHECK(live.consumer.get_for(out, 1s) == Status::corrupt);
}

TEST_CASE("a semaphore that claims more items than the ring holds hands out only real slots",
          "[unit][hostile]") {
  UnderAttack live("hostile-count");
  REQUIRE(put_text(live.producer, "real") == Status::ok);
  // Givers' limit a billion units ahead of the takers' cursor.
  live.header().items.word.fetch_add(std::uint64_t{1'000'000'000} << 32);

  ReadBatch batch;
  CHECK(live.consumer.take(batch, 1U << 20, Clock::now() + 1s) == Status::corrupt);
  // At most one lap of the ring was taken: 1 real message, the rest never published.
  CHECK(batch.size() == 1);
  CHECK(batch.corrupt() == 15);
  live.consumer.release(batch);
}

TEST_CASE("a segment truncated under the handles reports lost instead of dying of SIGBUS",
          "[unit][hostile]") {
  TestQueue queue("hostile-truncate");
  Producer producer(queue.name(), OpenMode::create_only, small());
  Consumer consumer(queue.name(), OpenMode::open_only);
  REQUIRE(put_text(producer, "accepted before the truncation") == Status::ok);

  off_t keep = 0;
  SECTION("to nothing") {
    keep = 0;
  }
  // (A cut inside a page leaves the rest of that page readable as zeros: that is corruption, not
  // a fault. Whole pages beyond the end are what raises SIGBUS.)
  SECTION("to its first page: the semaphores stay, the slots are gone") {
    keep = 4096;
  }
  REQUIRE(truncate(queue.path().c_str(), keep) == 0);

  std::vector<std::byte> out;
  CHECK(consumer.get_for(out, 1s) == Status::lost);
  CHECK(put_text(producer, "after") == Status::lost);
  CHECK(consumer.get_for(out, 1s) == Status::lost);  // and it stays lost
  WriteBatch batch;
  CHECK(producer.claim(batch, 4, Clock::now() + 1s) == Status::lost);
  CHECK(batch.size() == 0);
  producer.close();
  consumer.close();
}

TEST_CASE("a consumer blocked on an empty queue notices the truncation", "[unit][hostile]") {
  TestQueue queue("hostile-blocked");
  Consumer consumer(queue.name(), OpenMode::create_only, small());
  Producer producer(queue.name(), OpenMode::open_only);  // attached: no end of stream
  auto waiting = std::async(std::launch::async, [&consumer] {
    std::vector<std::byte> out;
    return consumer.get_for(out, 60s);
  });
  REQUIRE(truncate(queue.path().c_str(), 0) == 0);
  CHECK(waiting.get() == Status::lost);
}

// Excluded from the ThreadSanitizer run: the races here are the attack.
TEST_CASE("a hostile writer flipping lengths, record counts and sizes, stamps and both semaphores "
          "causes errors, not faults",
          "[unit][hostile][hostile-writer]") {
  UnderAttack live("hostile-writer");
  std::atomic<bool> done{false};

  std::thread corrupter([&] {
    std::mt19937_64 random(42);
    auto& items = live.header().items.word;
    auto& room = live.header().room.word;
    // relaxed: the flag only ends the loop.
    while (!done.load(std::memory_order_relaxed)) {
      const std::uint64_t r = random();
      auto& slot = live.slot(r >> 40);
      // Mostly slots, now and then a semaphore; in between, the others get to run.
      switch (r % 64) {
        case 0:
          slot.length = static_cast<std::uint32_t>(r >> 8);
          break;
        case 1:
          slot.stamp.store(r);
          break;
        case 2:
          // relaxed: a hostile write; ordering is what the attack ignores.
          items.fetch_add(((r >> 8) & 7) << 32, std::memory_order_relaxed);
          break;
        case 3:
          // relaxed: as above. More room than the ring has: the producer overwrites held slots.
          room.fetch_add(((r >> 8) & 7) << 32, std::memory_order_relaxed);
          break;
        case 4:
          slot.records = static_cast<std::uint32_t>(r >> 8) % 8;
          break;
        case 5: {  // the size prefix of a packed slot's first record
          const auto size = static_cast<std::uint32_t>(r >> 8);
          std::memcpy(reinterpret_cast<std::byte*>(&slot) + sizeof(layout::SlotHeader), &size, 4);
          break;
        }
        default:
          std::this_thread::yield();
      }
    }
  });

  std::thread sender([&] {
    const std::string text(40, 'm');
    // relaxed: the flag only ends the loop.
    for (int i = 0; i < 20000 && !done.load(std::memory_order_relaxed); ++i) {
      WriteBatch batch;
      if (i % 2 == 0) {
        (void)put_text(live.producer, text);
      } else if (live.producer.claim(batch, 1, Clock::now() + 1ms) == Status::ok) {
        for (int k = 0; k < 3; ++k) std::memset(batch.append(0, 10).data(), 'p', 10);  // packed
        live.producer.publish(batch);
      }
    }
  });

  std::uint64_t corrupt = 0;
  std::uint64_t delivered = 0;
  ReadBatch batch;
  for (int round = 0; round < 20000; ++round) {
    const Status status = live.consumer.take(batch, 16, Clock::now() + 1ms);
    REQUIRE((status == Status::ok || status == Status::corrupt || status == Status::timeout));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      REQUIRE(batch[i].size() <= kSlotSize);
      volatile std::byte sink = batch[i].empty() ? std::byte{} : batch[i].back();  // touch it
      (void)sink;
    }
    corrupt += batch.corrupt();
    delivered += batch.size();
    live.consumer.release(batch);
  }
  // relaxed: the join below orders everything.
  done.store(true, std::memory_order_relaxed);
  corrupter.join();
  sender.join();
  INFO("delivered " << delivered << ", corrupt slots " << corrupt);
  CHECK(corrupt > 0);
}
