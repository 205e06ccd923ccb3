// What names a message for good (the bridge's Nats-Msg-Id): the queue's incarnation, drawn anew
// when a name is created again, and each message's slot position and record in a batch that
// keeps ids; a message handed to another consumer keeps its id.
#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <string>
#include <utility>

#include "shmq/consumer.hpp"
#include "shmq/detail/segment.hpp"
#include "shmq/inspect.hpp"
#include "shmq/producer.hpp"
#include "test_queue.hpp"

using namespace shmq;
using namespace std::chrono_literals;
using shmq::test::queue_config;
using shmq::test::TestQueue;

namespace {

void put_text(Producer& producer, const std::string& text) {
  REQUIRE(producer.put_for(std::as_bytes(std::span(text)), 1s) == Status::ok);
}

std::string text_of(std::span<const std::byte> message) {
  return {reinterpret_cast<const char*>(message.data()), message.size()};
}

}  // namespace

TEST_CASE("a queue created again under its name has another incarnation", "[unit][identity]") {
  TestQueue queue("incarnation");
  std::uint64_t first = 0;
  {
    const Consumer creator(queue.name(), OpenMode::create_only, queue_config(4));
    first = creator.queue_incarnation();
    CHECK(inspect_queue(queue.name()).incarnation == first);  // every opener reads the same
  }
  REQUIRE(Segment::remove(queue.name()));
  const Consumer again(queue.name(), OpenMode::create_only, queue_config(4));
  CHECK(again.queue_incarnation() != first);
}

TEST_CASE("a batch that keeps ids names each message by slot and record", "[unit][identity]") {
  TestQueue queue("message-ids");
  Producer producer(queue.name(), OpenMode::create_only, queue_config(8, 64));
  Consumer consumer(queue.name(), OpenMode::open_only);
  put_text(producer, "alone");
  WriteBatch packed;
  REQUIRE(producer.claim(packed, 1, Clock::now() + 1s) == Status::ok);
  for (const char* text : {"p0", "p1", "p2"}) {
    const std::string message = text;
    const auto where = packed.append(0, 2);
    REQUIRE(where.data() != nullptr);
    std::memcpy(where.data(), message.data(), 2);
  }
  producer.publish(packed);
  put_text(producer, "after");

  ReadBatch batch;
  batch.keep_ids(true);
  REQUIRE(consumer.take(batch, 8, Clock::now() + 1s) == Status::ok);
  REQUIRE(batch.size() == 5);
  const std::pair<const char*, MessageId> expected[] = {
      {"alone", {0, 0}}, {"p0", {1, 0}}, {"p1", {1, 1}}, {"p2", {1, 2}}, {"after", {2, 0}}};
  for (std::size_t i = 0; i < batch.size(); ++i) {
    CHECK(text_of(batch[i]) == expected[i].first);
    CHECK(batch.id(i) == expected[i].second);
  }
  consumer.release(batch);
  put_text(producer, "next");  // positions go on: ids are never reused in one incarnation
  REQUIRE(consumer.take(batch, 8, Clock::now() + 1s) == Status::ok);
  REQUIRE(batch.size() == 1);
  CHECK(batch.id(0) == MessageId{3, 0});
}

TEST_CASE("a message handed to another consumer keeps its id", "[unit][identity]") {
  TestQueue queue("ids-redelivered");
  Producer producer(queue.name(), OpenMode::create_only, queue_config(8, 64, true));
  AttachOptions short_lease;
  short_lease.lease = 50ms;
  Consumer holder(queue.name(), OpenMode::open_only, {}, short_lease);
  Consumer other(queue.name(), OpenMode::open_only);
  put_text(producer, "first");
  put_text(producer, "second");
  ReadBatch held;
  held.keep_ids(true);
  REQUIRE(holder.take(held, 8, Clock::now() + 1s) == Status::ok);
  REQUIRE(held.size() == 2);
  const std::set<std::pair<std::uint64_t, std::uint32_t>> ids_held = {
      {held.id(0).position, held.id(0).record}, {held.id(1).position, held.id(1).record}};
  ReadBatch taken_over;
  taken_over.keep_ids(true);
  REQUIRE(other.take(taken_over, 8, Clock::now() + 5s) == Status::ok);  // after the lease
  REQUIRE(taken_over.size() == 2);
  const std::set<std::pair<std::uint64_t, std::uint32_t>> ids_again = {
      {taken_over.id(0).position, taken_over.id(0).record},
      {taken_over.id(1).position, taken_over.id(1).record}};
  CHECK(ids_again == ids_held);
  other.release(taken_over);
  holder.release(held);
}

TEST_CASE("a note set at attach, and replaced later, shows beside the process",
          "[unit][identity]") {
  TestQueue queue("notes");
  AttachOptions options;
  const std::string long_note(200, 'n');
  options.note = long_note;
  Producer producer(queue.name(), OpenMode::create_only, queue_config(4), options);
  auto notes = [&] {
    const QueueSnapshot snapshot = inspect_queue(queue.name());
    REQUIRE(snapshot.processes.size() == 1);
    return snapshot.processes[0].note;
  };
  CHECK(notes() == std::string(128, 'n'));  // kept to 128 bytes
  producer.set_note("to nats://a:4222\x01");
  CHECK(notes() == "to nats://a:4222?");  // control bytes shown as '?'
  producer.set_note("");
  CHECK(notes().empty());
}
