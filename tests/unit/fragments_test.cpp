// Messages larger than a slot: written in fragments over consecutive slots, delivered whole by
// get() and take(), in order with the small ones; refused above Geometry::max_message_size();
// and a fragment run that is not whole is dropped, never delivered in part.
#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <thread>
#include <vector>

#include "shmq/consumer.hpp"
#include "shmq/detail/layout.hpp"
#include "shmq/detail/segment.hpp"
#include "shmq/producer.hpp"
#include "test_queue.hpp"

using namespace shmq;
using namespace std::chrono_literals;
using shmq::test::queue_config;
using shmq::test::TestQueue;

namespace {

constexpr std::uint32_t kCapacity = 16;
constexpr std::uint32_t kSlotSize = 64;
constexpr std::uint32_t kMaxMessage = kCapacity / 4 * kSlotSize;  // 256 bytes

// Message `n` of a test stream: a size that cycles through one slot, several and the maximum,
// and bytes that depend on n and the offset.
std::vector<std::byte> message(std::uint32_t n) {
  static constexpr std::uint32_t kSizes[] = {10, 65, kMaxMessage, 0, 128, 200, kSlotSize, 129};
  std::vector<std::byte> bytes(kSizes[n % std::size(kSizes)]);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::byte>((n * 131 + i * 7) & 0xFF);
  }
  return bytes;
}

bool same(std::span<const std::byte> a, const std::vector<std::byte>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

TEST_CASE("a queue's largest message is a quarter of its ring, or one slot if that is more",
          "[unit][fragments]") {
  CHECK(Geometry{1024, 1024, false, false}.max_message_size() == 256 * 1024);
  CHECK(Geometry{64, 256 * 1024, false, false}.max_message_size() == 4 * 1024 * 1024);
  CHECK(Geometry{3, 100, false, false}.max_message_size() == 100);
  CHECK(Geometry{1, 100, false, false}.max_message_size() == 100);
}

TEST_CASE(
    "messages larger than a slot arrive whole and in order with small ones, across "
    "wrap-arounds",
    "[unit][fragments]") {
  for (bool multi : {false, true}) {
    INFO((multi ? "multi" : "single"));
    TestQueue queue("fragments-order");
    const QueueConfig config = queue_config(kCapacity, kSlotSize, multi);
    Consumer consumer(queue.name(), OpenMode::create_only, config);
    constexpr std::uint32_t kMessages = 3000;
    std::atomic<std::uint32_t> put = 0;  // Catch's assertions are for the main thread only
    std::thread producing([&] {
      Producer producer(queue.name(), OpenMode::open_only);
      while (put < kMessages && producer.put(message(put)) == Status::ok) ++put;
    });
    std::vector<std::byte> got;
    for (std::uint32_t n = 0; n < kMessages; ++n) {
      REQUIRE(consumer.get_for(got, 10s) == Status::ok);
      INFO("message " << n);
      REQUIRE(got == message(n));
    }
    producing.join();
    CHECK(put == kMessages);
    CHECK(consumer.get_for(got, 1s) == Status::end_of_stream);
  }
}

TEST_CASE("take() hands out a message in fragments as one view, even if max would end inside it",
          "[unit][fragments]") {
  for (bool multi : {false, true}) {
    INFO((multi ? "multi" : "single"));
    TestQueue queue("fragments-take");
    Producer producer(queue.name(), OpenMode::create_only,
                      queue_config(kCapacity, kSlotSize, multi));
    Consumer consumer(queue.name(), OpenMode::open_only);
    const auto two_slots = message(1);   // 65 bytes
    const auto four_slots = message(2);  // 256 bytes
    const auto small = message(0);
    REQUIRE(producer.put(two_slots) == Status::ok);
    REQUIRE(producer.put(four_slots) == Status::ok);
    REQUIRE(producer.put(small) == Status::ok);
    CHECK(consumer.depth() == 7);  // slots: 2 + 4 + 1

    ReadBatch batch;
    batch.keep_ids(true);
    REQUIRE(consumer.take(batch, 1, Clock::now() + 1s) == Status::ok);
    REQUIRE(batch.size() == 1);
    CHECK(same(batch[0], two_slots));
    REQUIRE(consumer.take(batch, 3, Clock::now() + 1s) == Status::ok);  // 4 slots: extended
    REQUIRE(batch.size() == 1);
    CHECK(same(batch[0], four_slots));
    CHECK(batch.id(0).position == 2);
    REQUIRE(consumer.take(batch, 16, Clock::now() + 1s) == Status::ok);
    REQUIRE(batch.size() == 1);
    CHECK(same(batch[0], small));
    consumer.release(batch);
    CHECK(consumer.depth() == 0);
    CHECK(consumer.messages() == 3);
  }
}

TEST_CASE(
    "a message above the largest is too big and changes nothing; one that needs more "
    "slots than are free waits for them",
    "[unit][fragments]") {
  for (bool multi : {false, true}) {
    INFO((multi ? "multi" : "single"));
    TestQueue queue("fragments-limits");
    Producer producer(queue.name(), OpenMode::create_only,
                      queue_config(kCapacity, kSlotSize, multi));
    Consumer consumer(queue.name(), OpenMode::open_only);
    const std::vector<std::byte> too_big(kMaxMessage + 1, std::byte{1});
    CHECK(producer.put(too_big) == Status::too_big);
    CHECK(consumer.depth() == 0);

    // 13 slots taken: a four-slot message does not fit, and try_put takes nothing.
    for (int i = 0; i < 13; ++i) REQUIRE(producer.put(message(0)) == Status::ok);
    const auto four_slots = message(2);
    CHECK(producer.try_put(four_slots) == Status::full);
    CHECK(producer.put_for(four_slots, 50ms) == Status::timeout);
    CHECK(consumer.depth() == 13);
    std::vector<std::byte> got;
    REQUIRE(consumer.get(got) == Status::ok);  // 4 free now
    CHECK(producer.try_put(four_slots) == Status::ok);
    for (int i = 0; i < 12; ++i) REQUIRE(consumer.get(got) == Status::ok);
    REQUIRE(consumer.get(got) == Status::ok);
    CHECK(got == four_slots);
  }
}

TEST_CASE("fragments that are not a whole message are dropped, never delivered in part",
          "[unit][fragments]") {
  TestQueue queue("fragments-hostile");
  Producer producer(queue.name(), OpenMode::create_only, queue_config(kCapacity, kSlotSize));
  Consumer consumer(queue.name(), OpenMode::open_only);
  const Segment view = Segment::open(queue.name(), OpenMode::open_only, QueueConfig{});
  const auto slot = [&](std::uint32_t index) -> layout::SlotHeader& {
    return *reinterpret_cast<layout::SlotHeader*>(view.slot(index));
  };
  const auto four_slots = message(2);
  const auto small = message(0);
  ReadBatch batch;

  SECTION("a fragment that does not count down is corrupt") {
    REQUIRE(producer.put(four_slots) == Status::ok);
    REQUIRE(producer.put(small) == Status::ok);
    slot(2).records = layout::fragment_records(false, 2);  // should be 1
    REQUIRE(consumer.take(batch, 16, Clock::now() + 1s) == Status::corrupt);
    CHECK(batch.corrupt() == 1);
    // The slot that broke the run is read again on its own: a fragment without its first.
    CHECK(batch.skipped() == 2);
    REQUIRE(batch.size() == 1);
    CHECK(same(batch[0], small));
  }
  SECTION("fragments whose first is missing (their producer died stamping them) are skipped") {
    REQUIRE(producer.put(four_slots) == Status::ok);
    REQUIRE(producer.put(small) == Status::ok);
    slot(0).stamp.store(layout::stamp(0, layout::kSlotSkipped));
    REQUIRE(consumer.take(batch, 16, Clock::now() + 1s) == Status::ok);
    CHECK(batch.skipped() == 4);
    REQUIRE(batch.size() == 1);
    CHECK(same(batch[0], small));
  }
  SECTION("a first fragment that promises more slots than were taken is corrupt") {
    REQUIRE(producer.put(small) == Status::ok);
    slot(0).records = layout::fragment_records(true, 5);
    REQUIRE(consumer.take(batch, 16, Clock::now() + 1s) == Status::corrupt);
    CHECK(batch.size() == 0);
  }
  consumer.release(batch);
}
