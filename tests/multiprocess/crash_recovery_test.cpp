// kill -9 at each named failure point: the survivors keep using the queue, nothing accepted is
// lost, nothing half-written is delivered, duplicates are bounded by what the dead consumer held,
// and the ring's capacity is intact afterwards.
#include <signal.h>

#include <catch2/catch.hpp>
#include <iostream>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "shmq/detail/failpoint.hpp"
#include "shmq/detail/recovery.hpp"
#include "shmq/detail/ring.hpp"
#include "test_queue.hpp"
#include "workers.hpp"

using namespace shmq;
using namespace shmq::test;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kCapacity = 8;
constexpr std::uint64_t kPerProducer = 3000;
constexpr std::uint32_t kConsumerBatch = 5;  // consume() takes at most this many at once

// After everything is drained: every slot is free again and all cursors agree.
void check_capacity_intact(const std::string& name) {
  const Segment segment = Segment::open(name, OpenMode::open_only, QueueConfig{});
  Ring ring(segment);
  CHECK(ring.room().value() == kCapacity);
  CHECK(ring.items().value() == 0);
  CHECK(ring.claimed() == ring.published());
  CHECK(ring.taken() == ring.released());
  CHECK(ring.published() == ring.taken());
  CHECK(ring.attached(layout::Role::producer) == 0);
  CHECK(ring.attached(layout::Role::consumer) == 0);
}

std::map<std::uint32_t, std::map<std::uint64_t, int>> tally(const std::string& path) {
  std::map<std::uint32_t, std::map<std::uint64_t, int>> counts;
  for (const Received& r : read_records(path)) ++counts[r.producer][r.sequence];
  return counts;
}

int run_victim(std::string_view point, const std::function<int()>& body) {
  failpoint::arm(point, failpoint::Action::kill, 4);  // die on the fifth pass, mid-stream
  return body();
}

// How a test's producers send kPerProducer messages: all of one slot, or some in fragments.
using Producing = int (*)(const std::string& name, const QueueConfig& config, std::uint32_t id,
                          std::uint64_t count);
int produce_in_batches(const std::string& name, const QueueConfig& config, std::uint32_t id,
                       std::uint64_t count) {
  return produce(name, config, id, count);
}

void kill_a_producer_at(std::string_view point, bool multi,
                        Producing produce_some = produce_in_batches) {
  INFO("producer killed at " << point << (multi ? ", multi" : ", single"));
  TestQueue queue("crash-producer");
  TempFile record("records");
  const auto config = test_config(kCapacity, multi);
  ChildProcess consumer([&] { return consume(queue.name(), config, 2, record.path()); });
  REQUIRE(wait_for_queue_file(queue.name()));
  ChildProcess victim([&] {
    return run_victim(point, [&] { return produce_some(queue.name(), config, 1, kPerProducer); });
  });
  CHECK(victim.wait() == -1);  // killed by its failure point
  const auto died = Clock::now();
  ChildProcess survivor([&] { return produce_some(queue.name(), config, 2, kPerProducer); });
  CHECK(survivor.wait() == 0);
  CHECK(consumer.wait() == 0);  // end of stream although the victim never detached
  std::cout << "  producer killed at " << point << (multi ? " (multi)" : " (single)")
            << ": queue drained " << std::chrono::duration<double>(Clock::now() - died).count()
            << " s after the death\n";

  auto counts = tally(record.path());
  for (std::uint64_t s = 0; s < kPerProducer; ++s) REQUIRE(counts[2][s] == 1);
  // The victim's messages arrive once each, as a prefix of what it sent: the slots it died
  // holding were skipped, never delivered half-written.
  const auto& victim_counts = counts[1];
  std::uint64_t expected = 0;
  for (const auto& [sequence, times] : victim_counts) {
    CHECK(sequence == expected++);
    CHECK(times == 1);
  }
  CHECK(victim_counts.size() >= 4);
  check_capacity_intact(queue.name());
  if (!multi && point != failpoint::kProducerBeforeFirstFragment) {
    // A single producer takes free slots ahead of need: those it never published went back to
    // the room word, not to the consumer as skipped slots. (Not the first fragment of a
    // message whose others it stamped: that one is skipped, and they are dropped with it.)
    const Segment segment = Segment::open(queue.name(), OpenMode::open_only, QueueConfig{});
    CHECK(segment.header().membership.skipped.load() == 0);
  }
}

void kill_a_consumer_at(std::string_view point, bool multi,
                        Producing produce_some = produce_in_batches) {
  INFO("consumer killed at " << point << (multi ? ", multi" : ", single"));
  TestQueue queue("crash-consumer");
  TempFile record("records");
  const auto config = test_config(kCapacity, multi);
  ChildProcess producer([&] { return produce_some(queue.name(), config, 1, kPerProducer); });
  REQUIRE(wait_for_queue_file(queue.name()));
  ChildProcess victim([&] {
    return run_victim(point, [&] { return consume(queue.name(), config, 1, record.path()); });
  });
  CHECK(victim.wait() == -1);
  const auto died = Clock::now();
  ChildProcess survivor([&] { return consume(queue.name(), config, 1, record.path()); });
  CHECK(producer.wait() == 0);
  CHECK(survivor.wait() == 0);
  std::cout << "  consumer killed at " << point << (multi ? " (multi)" : " (single)")
            << ": queue drained " << std::chrono::duration<double>(Clock::now() - died).count()
            << " s after the death\n";

  auto counts = tally(record.path());
  std::uint64_t duplicates = 0;
  for (std::uint64_t s = 0; s < kPerProducer; ++s) {
    INFO("sequence " << s);
    REQUIRE(counts[1][s] >= 1);  // nothing lost
    duplicates += static_cast<std::uint64_t>(counts[1][s] - 1);
  }
  CHECK(duplicates <= kConsumerBatch);  // at most what the dead consumer held
  check_capacity_intact(queue.name());
}

}  // namespace

TEST_CASE("a producer killed at any failure point costs nothing but its unpublished slots",
          "[multiprocess][crash]") {
  for (bool multi : {false, true}) {
    kill_a_producer_at(failpoint::kProducerAfterClaim, multi);
    kill_a_producer_at(failpoint::kProducerBeforePublish, multi);
    kill_a_producer_at(failpoint::kProducerAfterStamps, multi);
  }
  kill_a_producer_at(failpoint::kProducerHoldingMutex, true);
}

TEST_CASE("a producer killed in the middle of a message in fragments never delivers part of it",
          "[multiprocess][crash]") {
  for (bool multi : {false, true}) {
    kill_a_producer_at(failpoint::kProducerAfterClaim, multi, produce_mixed);
    kill_a_producer_at(failpoint::kProducerBeforePublish, multi, produce_mixed);
    kill_a_producer_at(failpoint::kProducerBeforeFirstFragment, multi, produce_mixed);
    kill_a_producer_at(failpoint::kProducerAfterStamps, multi, produce_mixed);
  }
  kill_a_producer_at(failpoint::kProducerHoldingMutex, true, produce_mixed);
}

TEST_CASE("a consumer killed holding a message in fragments loses none of it",
          "[multiprocess][crash]") {
  for (bool multi : {false, true}) {
    kill_a_consumer_at(failpoint::kConsumerAfterTake, multi, produce_mixed);
    kill_a_consumer_at(failpoint::kConsumerBeforeRelease, multi, produce_mixed);
  }
  kill_a_consumer_at(failpoint::kConsumerHoldingMutex, true, produce_mixed);
}

TEST_CASE("a consumer killed at any failure point loses no message", "[multiprocess][crash]") {
  for (bool multi : {false, true}) {
    kill_a_consumer_at(failpoint::kConsumerAfterTake, multi);
    kill_a_consumer_at(failpoint::kConsumerBeforeRelease, multi);
  }
  kill_a_consumer_at(failpoint::kConsumerHoldingMutex, true);
}

TEST_CASE("a consumer that dies holding messages while another keeps consuming",
          "[multiprocess][crash]") {
  TestQueue queue("crash-concurrent");
  TempFile record("records");
  const auto config = test_config(kCapacity, true);
  // The victim is in the stream before any message is, and dies at its first take: with the
  // survivor consuming alongside, a later pass might never come on a loaded machine.
  ChildProcess victim([&] {
    failpoint::arm(failpoint::kConsumerAfterTake, failpoint::Action::kill, 0);
    return consume(queue.name(), config, 1, record.path());
  });
  REQUIRE(wait_for_consumers(queue.name(), 1));
  ChildProcess producer([&] { return produce(queue.name(), config, 1, 20000); });
  ChildProcess survivor([&] { return consume(queue.name(), config, 1, record.path()); });
  CHECK(victim.wait() == -1);
  CHECK(producer.wait() == 0);
  CHECK(survivor.wait() == 0);
  auto counts = tally(record.path());
  for (std::uint64_t s = 0; s < 20000; ++s) REQUIRE(counts[1][s] >= 1);
  check_capacity_intact(queue.name());
}

// A process that dies outside the mutex is reaped late (at the next attach, or when someone has
// waited 100 ms), after the ring has moved on: its journal must not touch slots handed on since.
// (A producer dies having stamped its batch; a consumer having written its batch out, before
// releasing it: a consumer's done stamps are written inside the mutex, where a death is repaired
// at once by the next locker.)
TEST_CASE("late reaping of a process that died after stamping its batch harms no later message",
          "[multiprocess][crash]") {
  for (auto point : {failpoint::kProducerAfterStamps, failpoint::kConsumerBeforeRelease}) {
    INFO("killed at " << point);
    TestQueue queue("crash-late");
    TempFile record("records");
    const auto config = test_config(kCapacity, true);
    const bool producer_dies = point == failpoint::kProducerAfterStamps;
    const std::uint32_t producers = producer_dies ? 3 : 2;
    ChildProcess consumer([&] { return consume(queue.name(), config, producers, record.path()); });
    REQUIRE(wait_for_queue_file(queue.name()));
    ChildProcess producer([&] { return produce(queue.name(), config, 1, 300000); });
    ChildProcess victim([&] {
      failpoint::arm(point, failpoint::Action::kill, 3);
      return producer_dies ? produce(queue.name(), config, 2, 1000)
                           : consume(queue.name(), config, producers, record.path());
    });
    CHECK(victim.wait() == -1);
    // Attaching reaps the victim while producer 1's traffic runs through the dead one's slots.
    ChildProcess late([&] { return produce(queue.name(), config, 3, 1000); });
    CHECK(late.wait() == 0);
    CHECK(producer.wait() == 0);
    CHECK(consumer.wait() == 0);
    auto counts = tally(record.path());
    for (std::uint64_t s = 0; s < 300000; ++s) REQUIRE(counts[1][s] >= 1);
    for (std::uint64_t s = 0; s < 1000; ++s) REQUIRE(counts[3][s] >= 1);
    check_capacity_intact(queue.name());
  }
}

TEST_CASE("a consumer that dies while taking over a dead consumer's messages loses none",
          "[multiprocess][crash]") {
  TestQueue queue("crash-orphans");
  TempFile record("records");
  const auto config = test_config(kCapacity, true);
  ChildProcess producer([&] { return produce(queue.name(), config, 1, kPerProducer); });
  REQUIRE(wait_for_queue_file(queue.name()));
  ChildProcess first_victim([&] {  // dies holding a batch: its messages become orphans
    failpoint::arm(failpoint::kConsumerAfterTake, failpoint::Action::kill, 4);
    return consume(queue.name(), config, 1, record.path());
  });
  CHECK(first_victim.wait() == -1);
  ChildProcess second_victim([&] {  // dies inside the mutex, half-way through taking them over
    failpoint::arm(failpoint::kConsumerTakingOrphans, failpoint::Action::kill);
    return consume(queue.name(), config, 1, record.path());
  });
  CHECK(second_victim.wait() == -1);
  ChildProcess survivor([&] { return consume(queue.name(), config, 1, record.path()); });
  CHECK(producer.wait() == 0);
  CHECK(survivor.wait() == 0);
  auto counts = tally(record.path());
  for (std::uint64_t s = 0; s < kPerProducer; ++s) REQUIRE(counts[1][s] >= 1);
  check_capacity_intact(queue.name());
}

TEST_CASE("a stopped consumer is not dead: resumed, it finishes and nothing is redelivered",
          "[multiprocess][crash]") {
  const auto pause = std::chrono::seconds(std::getenv("SHMQ_STOP_SECONDS")
                                              ? std::atoi(std::getenv("SHMQ_STOP_SECONDS"))
                                              : 30);
  TestQueue queue("stopped");
  TempFile record("records");
  const auto config = test_config(kCapacity, false);
  ChildProcess producer([&] { return produce(queue.name(), config, 1, kPerProducer); });
  REQUIRE(wait_for_queue_file(queue.name()));
  ChildProcess consumer([&] {
    failpoint::arm(failpoint::kConsumerAfterTake, failpoint::Action::stop, 10);
    return consume(queue.name(), config, 1, record.path());
  });
  std::this_thread::sleep_for(pause);  // the producer, blocked on a full ring, keeps reaping
  {
    const Segment segment = Segment::open(queue.name(), OpenMode::open_only, QueueConfig{});
    CHECK(Ring(segment).attached(layout::Role::consumer) == 1);
    CHECK(segment.header().membership.redelivered.load() == 0);
  }
  consumer.kill(SIGCONT);
  CHECK(producer.wait() == 0);
  CHECK(consumer.wait() == 0);
  auto counts = tally(record.path());
  for (std::uint64_t s = 0; s < kPerProducer; ++s) REQUIRE(counts[1][s] == 1);
}

// A process holding both mutexes (here, a reaper) that dies half-way through handing a dead
// consumer's messages over leaves them re-stamped in part, its flag raised: the next taker of
// the consumers' mutex alone must finish the hand-over first, or it would take the re-stamped
// part while the dead consumer's journal still names it, and a later reaper would hand the same
// slots to a second consumer while the first still holds them.
TEST_CASE("a reaper that dies handing a dead consumer's messages over leaves none held twice",
          "[multiprocess][crash]") {
  TestQueue queue("crash-reaper");
  const auto config = test_config(kCapacity, true);
  AttachOptions no_lease;
  no_lease.lease = std::chrono::milliseconds(0);
  Producer producer(queue.name(), OpenMode::create_only, config);
  for (const std::string_view message : {"m0", "m1", "m2", "m3"}) {
    REQUIRE(producer.put(std::as_bytes(std::span(message))) == Status::ok);
  }
  Consumer first(queue.name(), OpenMode::open_only, {}, no_lease);
  Consumer second(queue.name(), OpenMode::open_only, {}, no_lease);
  ChildProcess dead_consumer([&]() -> int {
    Consumer consumer(queue.name(), OpenMode::open_only, {}, no_lease);
    ReadBatch batch;
    const Status status = consumer.take(batch, 8, Clock::now() + 1s);
    _exit(status == Status::ok && batch.size() == 4 ? 0 : 1);  // dies holding all four
  });
  REQUIRE(dead_consumer.wait() == 0);
  ChildProcess dead_reaper([&]() -> int {
    const Segment view = Segment::open(queue.name(), OpenMode::open_only, QueueConfig{});
    Ring ring(view);
    ring.locked([&] {  // as orphan_held_locked() would, for an earlier entry and two slots
      ring.header().membership.orphans.store(1);
      ring.slots().set_stamp(0, layout::kSlotOrphaned);
      ring.slots().set_stamp(1, layout::kSlotOrphaned);
      _exit(0);  // dies holding both mutexes
    });
    return 1;
  });
  REQUIRE(dead_reaper.wait() == 0);

  ReadBatch first_batch;
  REQUIRE(first.take(first_batch, 8, Clock::now() + 1s) == Status::ok);
  {
    const Segment view = Segment::open(queue.name(), OpenMode::open_only, QueueConfig{});
    Ring ring(view);
    ring.locked([&] { Recovery(ring).recover_locked(); });  // a later reaper
  }
  ReadBatch second_batch;
  const Status status = second.take(second_batch, 8, Clock::now() + 200ms);
  CHECK((status == Status::ok || status == Status::timeout));
  // Every message is held by exactly one consumer.
  CHECK(first_batch.size() + second_batch.size() == 4);
  CHECK((first.still_holds(first_batch) || first_batch.empty()));
  const auto text = [](std::span<const std::byte> bytes) {
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  };
  for (const auto a : first_batch) {
    for (const auto b : second_batch) CHECK(text(a) != text(b));
  }
  first.release(first_batch);
  second.release(second_batch);
}

// A multi consumer that found nothing to take under its mutex must take nothing: a producer
// publishes without that mutex, and a take of `max` slots made after its message arrived would
// end inside it. The consumer is stopped between its look and its take while a message of four
// fragments is put.
TEST_CASE("a consumer whose take finds the ring empty takes no part of a message arriving then",
          "[multiprocess][fragments]") {
  TestQueue queue("fragments-arriving");
  auto config = test_config(kCapacity * 2, true);  // 16 slots of 64 B: up to 256-byte messages
  Producer producer(queue.name(), OpenMode::create_only, config);
  const std::vector<std::byte> message(200, std::byte{0x42});  // four fragments
  ChildProcess consumer([&]() -> int {
    Consumer taker(queue.name(), OpenMode::open_only);
    failpoint::arm(failpoint::kConsumerHoldingMutex, failpoint::Action::stop, 0);
    ReadBatch batch;
    const Status status = taker.take(batch, 1, Clock::now() + 30s);
    return status == Status::ok && batch.size() == 1 && batch[0].size() == message.size() ? 0 : 1;
  });
  const auto stopped = [&] {  // state 'T' in /proc/PID/stat
    std::ifstream stat("/proc/" + std::to_string(consumer.pid()) + "/stat");
    std::string pid, command, state;
    stat >> pid >> command >> state;
    return state == "T";
  };
  for (int i = 0; i < 10000 && !stopped(); ++i) std::this_thread::sleep_for(1ms);
  REQUIRE(stopped());
  REQUIRE(producer.put(message) == Status::ok);
  consumer.kill(SIGCONT);
  CHECK(consumer.wait() == 0);  // the whole message, in one piece
}
