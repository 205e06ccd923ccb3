// inspect_queue(): what `shmq stat` and `shmq check` see, on queues in known states.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "shmq/consumer.hpp"
#include "shmq/inspect.hpp"
#include "shmq/producer.hpp"
#include "test_queue.hpp"

using namespace shmq;
using namespace std::chrono_literals;
using shmq::test::TestQueue;

namespace {

QueueConfig ring_of(std::uint32_t capacity) {
  QueueConfig config;
  config.capacity = capacity;
  config.slot_size = 32;
  return config;
}

// "m<i>" (built by appending: GCC 12 warns falsely about message(i)).
std::string message(int i) {
  std::string text = "m";
  text += std::to_string(i);
  return text;
}

Status put_text(Producer& producer, const std::string& text) {
  return producer.put_for(std::as_bytes(std::span(text)), 1s);
}

// Moves every cursor of an idle, empty queue to `position`, as if that many messages had passed.
void fast_forward(const std::string& name, std::uint64_t position, std::uint32_t capacity) {
  const Segment view = Segment::open(name, OpenMode::open_only, QueueConfig{});
  layout::Header& header = view.header();
  const auto low = static_cast<std::uint32_t>(position);
  header.items.word.store((std::uint64_t{low} << 32) | low);
  header.room.word.store((std::uint64_t{low + capacity} << 32) | low);
  for (auto* hint : {&header.producer.claimed, &header.producer.published,
                     &header.consumer.taken, &header.consumer.released}) {
    hint->store(position);
  }
}

}  // namespace

TEST_CASE("a snapshot counts waiting messages and attached processes", "[unit][inspect]") {
  TestQueue queue("inspect");
  Producer producer(queue.name(), OpenMode::create_only, ring_of(200));
  for (int i = 0; i < 100; ++i) REQUIRE(put_text(producer, message(i)) == Status::ok);
  const QueueSnapshot snapshot = inspect_queue(queue.name());
  CHECK(snapshot.geometry.capacity == 200);
  CHECK(snapshot.depth == 100);
  CHECK(snapshot.free_slots == 100);
  CHECK(snapshot.messages_in == 100);
  CHECK(snapshot.count(layout::Role::producer, true) == 1);
  CHECK(snapshot.state() == QueueState::healthy);
}

TEST_CASE("the high-water mark is the deepest the ring has been", "[unit][inspect]") {
  TestQueue queue("inspect-high-water");
  Producer producer(queue.name(), OpenMode::create_only, ring_of(8));
  Consumer consumer(queue.name(), OpenMode::open_only);
  for (int i = 0; i < 8; ++i) REQUIRE(put_text(producer, message(i)) == Status::ok);
  CHECK(inspect_queue(queue.name()).high_water == 8);
  std::vector<std::byte> out;
  for (int i = 0; i < 3; ++i) REQUIRE(consumer.get(out) == Status::ok);
  REQUIRE(put_text(producer, message(8)) == Status::ok);
  const QueueSnapshot snapshot = inspect_queue(queue.name());
  CHECK(snapshot.depth == 6);
  CHECK(snapshot.high_water == 8);
}

TEST_CASE("a waiting packed slot checks healthy whole and corrupt with a broken record chain",
          "[unit][inspect]") {
  TestQueue queue("inspect-packed");
  Producer producer(queue.name(), OpenMode::create_only, ring_of(4));
  WriteBatch batch;
  REQUIRE(producer.claim(batch, 1, Clock::now()) == Status::ok);
  for (char fill : {'a', 'b', 'c'}) {  // three messages of five bytes
    const auto at = batch.append(0, 5);
    REQUIRE(at.data() != nullptr);
    std::memset(at.data(), fill, 5);
  }
  producer.publish(batch);
  const QueueSnapshot whole = inspect_queue(queue.name());
  CHECK(whole.depth == 1);
  CHECK(whole.messages_in == 3);
  CHECK(whole.messages_waiting() == 3);
  CHECK(whole.state() == QueueState::healthy);

  // Another process overwrites the second record's size: it now runs past the slot's length.
  const Segment view = Segment::open(queue.name(), OpenMode::open_only, QueueConfig{});
  const std::uint32_t huge = 200;
  std::memcpy(view.slot(0) + sizeof(layout::SlotHeader) + 4 + 5, &huge, sizeof huge);
  const QueueSnapshot broken = inspect_queue(queue.name());
  CHECK(broken.state() == QueueState::corrupt);
  REQUIRE(broken.problems.size() == 1);
  CHECK_THAT(broken.problems[0], Catch::Contains("packs 3 records that do not fill its length 27"));
}

TEST_CASE("a healthy queue past 2^32 positions, of any capacity, checks healthy",
          "[unit][inspect]") {
  TestQueue queue("inspect-wrap");
  const std::uint32_t capacity = 1000;  // not a power of two: positions wrap unevenly
  { Segment::open(queue.name(), OpenMode::create_only, ring_of(capacity)); }
  fast_forward(queue.name(), (std::uint64_t{1} << 32) - 2, capacity);
  Producer producer(queue.name(), OpenMode::open_only);
  for (int i = 0; i < 5; ++i) REQUIRE(put_text(producer, message(i)) == Status::ok);

  const QueueSnapshot snapshot = inspect_queue(queue.name());
  for (const auto& problem : snapshot.problems) INFO(problem);
  CHECK(snapshot.state() == QueueState::healthy);
  CHECK(snapshot.depth == 5);

  Consumer consumer(queue.name(), OpenMode::open_only);
  std::vector<std::byte> out;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(consumer.get_for(out, 1s) == Status::ok);
    CHECK(std::string(reinterpret_cast<const char*>(out.data()), out.size()) ==
          message(i));
  }
}
