// Several producer and consumer processes on one multi queue: every message is delivered exactly
// once, and each consumer sees each producer's messages in the order they were put.
#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <memory>

#include "child_process.hpp"
#include "test_queue.hpp"
#include "workers.hpp"

using namespace shmq;
using namespace shmq::test;

namespace {

void run_many_to_many(std::uint32_t producers, std::uint32_t consumers, std::uint64_t per_producer,
                      std::uint32_t capacity) {
  TestQueue queue("many");
  const auto config = test_config(capacity, true);
  std::vector<std::unique_ptr<TempFile>> records;
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (std::uint32_t c = 0; c < consumers; ++c) {
    records.push_back(std::make_unique<TempFile>("records"));
    const std::string path = records.back()->path();
    children.push_back(std::make_unique<ChildProcess>(
        [&, path] { return consume(queue.name(), config, producers, path); }));
  }
  for (std::uint32_t p = 1; p <= producers; ++p) {
    children.push_back(std::make_unique<ChildProcess>(
        [&, p] { return produce(queue.name(), config, p, per_producer, 1 + p * 3); }));
  }
  for (auto& child : children) CHECK(child->wait(std::chrono::seconds(100)) == 0);

  std::map<std::uint32_t, std::vector<int>> seen;  // producer -> delivery count per sequence
  for (std::uint32_t p = 1; p <= producers; ++p) seen[p].assign(per_producer, 0);
  for (const auto& record : records) {
    std::map<std::uint32_t, std::uint64_t> last;  // per-producer order within one consumer
    for (const Received& r : read_records(record->path())) {
      REQUIRE(seen.count(r.producer) == 1);
      REQUIRE(r.sequence < per_producer);
      if (last.count(r.producer)) REQUIRE(r.sequence > last[r.producer]);
      last[r.producer] = r.sequence;
      ++seen[r.producer][r.sequence];
    }
  }
  for (const auto& [producer, counts] : seen) {
    INFO("producer " << producer);
    CHECK(std::count(counts.begin(), counts.end(), 1) == static_cast<long>(per_producer));
  }
}

}  // namespace

TEST_CASE("2 producers x 2 consumers deliver every message exactly once", "[multiprocess]") {
  run_many_to_many(2, 2, 100000, 32);
}

TEST_CASE("3 producers x 2 consumers deliver every message exactly once", "[multiprocess]") {
  run_many_to_many(3, 2, 50000, 7);
}

TEST_CASE("consumers end only after every expected producer attached and left",
          "[multiprocess]") {
  run_many_to_many(4, 3, 2000, 3);
}
