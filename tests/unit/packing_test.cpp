// Several small messages packed into one slot: how append() fills a slot, what take() and get()
// hand out, the counts, and how a damaged record chain is judged.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "shmq/consumer.hpp"
#include "shmq/detail/slot_verdict.hpp"
#include "shmq/producer.hpp"
#include "test_queue.hpp"

using namespace shmq;
using namespace std::chrono_literals;
using shmq::test::queue_config;
using shmq::test::TestQueue;

namespace {

std::string text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A new queue of `capacity` slots of `slot_size` bytes, its creating producer and a consumer.
struct Queue {
  Queue(const std::string& tag, std::uint32_t capacity, std::uint32_t slot_size,
        bool multi = false)
      : name(tag),
        producer(name.name(), OpenMode::create_only, queue_config(capacity, slot_size, multi)),
        consumer(name.name(), OpenMode::open_only) {}

  // Claims `slots` free slots (the ring has them) for the test to fill.
  WriteBatch claim(std::uint32_t slots) {
    WriteBatch batch;
    REQUIRE(producer.claim(batch, slots, Clock::now() + std::chrono::seconds(1)) == Status::ok);
    REQUIRE(batch.size() == slots);
    return batch;
  }

  // Takes up to `slots` slots and returns their messages as text, releasing them.
  std::vector<std::string> take_texts(std::uint32_t slots) {
    ReadBatch read;
    REQUIRE(consumer.take(read, slots, Clock::now()) == Status::ok);
    std::vector<std::string> texts;
    for (const auto message : read) texts.emplace_back(text(message));
    consumer.release(read);
    return texts;
  }

  TestQueue name;
  Producer producer;
  Consumer consumer;
};

// Appends `message` to slot i; returns whether it fitted.
bool append(const WriteBatch& batch, std::uint32_t i, const std::string& message) {
  const auto at = batch.append(i, static_cast<std::uint32_t>(message.size()));
  if (at.data() == nullptr) return false;
  REQUIRE(at.size() == message.size());
  std::memcpy(at.data(), message.data(), message.size());
  return true;
}

}  // namespace

TEST_CASE("a slot holds as many packed messages as fit with their size prefixes",
          "[unit][packing]") {
  CHECK(WriteBatch::packable(64, 12) == 4);  // 4 x (4 + 12) = 64
  CHECK(WriteBatch::packable(64, 13) == 3);
  CHECK(WriteBatch::packable(64, 60) == 1);
  CHECK(WriteBatch::packable(64, 61) == 0);
  CHECK(WriteBatch::packable(16, 0) == 4);

  Queue queue("pack-fit", 4, 64);
  WriteBatch batch = queue.claim(2);
  for (int i = 0; i < 4; ++i) CHECK(append(batch, 0, std::string(12, char('a' + i))));
  CHECK_FALSE(append(batch, 0, ""));  // no room left even for a prefix
  CHECK(batch.append(0, 0).data() == nullptr);
  CHECK(append(batch, 1, std::string(60, 'x')));  // a whole slot, prefix included
  queue.producer.publish(batch);
  CHECK(queue.producer.messages() == 5);
}

TEST_CASE("a message too long to pack takes an empty slot alone, and one too long for a slot none",
          "[unit][packing]") {
  Queue queue("pack-alone", 4, 64);
  WriteBatch batch = queue.claim(3);
  CHECK(append(batch, 0, std::string(64, 'w')));  // no room for a prefix: unpacked, as put() would
  CHECK_FALSE(append(batch, 0, ""));              // and the slot is closed to appends
  CHECK(append(batch, 1, "small"));
  CHECK_FALSE(append(batch, 1, std::string(61, 'x')));  // not alone: slot 1 holds "small" already
  CHECK_FALSE(append(batch, 2, std::string(65, 'y')));  // longer than any slot
  std::uint32_t calls = 0;
  CHECK(batch.append_many(2, 62, 5, [&](std::span<std::byte> at, std::uint32_t k) {
    CHECK(k == calls++);
    std::memset(at.data(), 'z', at.size());
  }) == 1);
  queue.producer.publish(batch);
  CHECK(queue.producer.messages() == 3);

  CHECK(queue.take_texts(3) ==
        std::vector<std::string>{std::string(64, 'w'), "small", std::string(62, 'z')});
}

TEST_CASE("append_many packs what fits after earlier appends, and writes each message once",
          "[unit][packing]") {
  Queue queue("pack-many", 4, 64);
  WriteBatch batch = queue.claim(2);
  REQUIRE(append(batch, 0, "first"));  // 9 bytes with its prefix: 55 left, three of 14 (+4)
  std::vector<std::uint32_t> written;
  const auto fill = [&](std::span<std::byte> at, std::uint32_t k) {
    REQUIRE(at.size() == 14);
    std::memset(at.data(), 'a' + static_cast<int>(k), at.size());
    written.push_back(k);
  };
  CHECK(batch.append_many(0, 14, 10, fill) == 3);
  CHECK(written == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(batch.append_many(0, 0, 1, fill) == 0);   // one byte left: not even a prefix fits
  CHECK(batch.append_many(1, 14, 2, fill) == 2);  // fewer than fit, when fewer are asked for
  CHECK(append(batch, 1, "after"));               // and appending goes on behind them
  queue.producer.publish(batch);
  CHECK(queue.producer.messages() == 7);

  CHECK(queue.take_texts(2) == std::vector<std::string>{"first", std::string(14, 'a'),
                                                        std::string(14, 'b'), std::string(14, 'c'),
                                                        std::string(14, 'a'), std::string(14, 'b'),
                                                        "after"});
}

TEST_CASE("packed messages come out one by one, in order, from take and from get",
          "[unit][packing]") {
  for (bool multi : {false, true}) {
    INFO("multi-producer/consumer: " << multi);
    Queue queue("pack-order", 8, 128, multi);
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    for (int round = 0; round < 40; ++round) {
      WriteBatch batch = queue.claim(3);
      // Slot 0 packed, slot 1 one plain message, slot 2 packed; sizes vary, empty ones too.
      for (std::uint32_t i = 0; i < batch.size(); ++i) {
        if (i == 1) {
          const std::string m = "plain " + std::to_string(sent++);
          std::memcpy(batch.buffer(i).data(), m.data(), m.size());
          batch.set_length(i, static_cast<std::uint32_t>(m.size()));
          continue;
        }
        for (int k = 0;; ++k) {
          const std::string m = k % 3 == 2 ? "" : std::to_string(sent);
          if (!append(batch, i, m)) break;
          ++sent;
        }
      }
      queue.producer.publish(batch);
      if (round % 2 == 0) {
        ReadBatch read;
        REQUIRE(queue.consumer.take(read, 8, Clock::now() + 1s) == Status::ok);
        for (std::size_t i = 0; i < read.size(); ++i) {
          const std::string m = text(read[i]);
          if (!m.empty() && m.rfind("plain ", 0) != 0) CHECK(m == std::to_string(received));
          ++received;
        }
        queue.consumer.release(read);
      } else {
        std::vector<std::byte> out;
        while (received < sent) {
          REQUIRE(queue.consumer.try_get(out) == Status::ok);
          const std::string m = text(out);
          if (!m.empty() && m.rfind("plain ", 0) != 0) CHECK(m == std::to_string(received));
          ++received;
        }
        std::vector<std::byte> none;
        CHECK(queue.consumer.try_get(none) == Status::empty);
      }
      CHECK(received == sent);
    }
    CHECK(queue.producer.messages() == sent);
    CHECK(queue.consumer.messages() == sent);
    CHECK(queue.producer.depth() == 0);
  }
}

TEST_CASE("a take after a get that left part of a packed slot hands out the rest of it",
          "[unit][packing]") {
  Queue queue("pack-rest", 4, 64);
  WriteBatch batch = queue.claim(1);
  for (const char* m : {"one", "two", "three"}) REQUIRE(append(batch, 0, m));
  queue.producer.publish(batch);

  std::vector<std::byte> out;
  REQUIRE(queue.consumer.get(out) == Status::ok);
  CHECK(text(out) == "one");
  CHECK(queue.producer.depth() == 1);  // the slot is still held: two of its messages are not out
  ReadBatch rest;
  REQUIRE(queue.consumer.take(rest, 4, Clock::now()) == Status::ok);
  REQUIRE(rest.size() == 2);
  CHECK(text(rest[0]) == "two");
  CHECK(text(rest[1]) == "three");
  queue.consumer.release(rest);
  CHECK(queue.producer.depth() == 0);
  CHECK(queue.consumer.messages() == 3);
}

TEST_CASE("a packed slot whose records do not parse to its length exposes none of them",
          "[unit][packing][hostile]") {
  // Payload: "ab" and "cde" packed (4 + 2 + 4 + 3 = 13 bytes).
  std::vector<std::byte> payload(64);
  const auto prefix = [&](std::uint32_t at, std::uint32_t size) {
    std::memcpy(payload.data() + at, &size, 4);
  };
  prefix(0, 2);
  std::memcpy(payload.data() + 4, "ab", 2);
  prefix(6, 3);
  std::memcpy(payload.data() + 10, "cde", 3);
  std::vector<std::string> seen;
  const auto collect = [&](std::uint32_t at, std::uint32_t size) {
    seen.emplace_back(reinterpret_cast<const char*>(payload.data()) + at, size);
  };
  CHECK(split_records(payload.data(), 13, 2, collect));
  CHECK(seen == std::vector<std::string>{"ab", "cde"});

  SECTION("bytes left over after the last record") {
    CHECK_FALSE(split_records(payload.data(), 14, 2, collect));
  }
  SECTION("a record running past the length") {
    CHECK_FALSE(split_records(payload.data(), 12, 2, collect));
  }
  SECTION("more records claimed than there are") {
    CHECK_FALSE(split_records(payload.data(), 13, 3, collect));
  }
  SECTION("a count of four billion costs a few steps") {
    CHECK_FALSE(split_records(payload.data(), 13, 0xFFFFFFFFU, collect));
  }
  SECTION("a size prefix of four billion") {
    prefix(6, 0xFFFFFFF0U);
    CHECK_FALSE(split_records(payload.data(), 13, 2, collect));
  }
}

TEST_CASE("a consumer counts a packed slot with a damaged record as corrupt and reads none of it",
          "[unit][packing][hostile]") {
  Queue queue("pack-hostile", 4, 64);
  WriteBatch batch = queue.claim(2);
  REQUIRE(append(batch, 0, "good"));
  REQUIRE(append(batch, 0, "also good"));
  REQUIRE(append(batch, 1, "damaged"));
  REQUIRE(append(batch, 1, "slot"));
  // Another process overwrites the second record's size in slot 1: it now runs past the slot.
  const std::uint32_t huge = 1000;
  std::memcpy(batch.buffer(1).data() + 4 + 7, &huge, 4);
  queue.producer.publish(batch);

  ReadBatch read;
  CHECK(queue.consumer.take(read, 4, Clock::now()) == Status::corrupt);
  REQUIRE(read.size() == 2);
  CHECK(text(read[0]) == "good");
  CHECK(text(read[1]) == "also good");
  CHECK(read.corrupt() == 1);
  queue.consumer.release(read);
  CHECK(queue.producer.depth() == 0);
}
