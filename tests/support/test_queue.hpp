// Helpers every test uses: a queue name no other test or run can collide with, removed at the end
// of the scope whether the test passes or fails.
#pragma once

#include <unistd.h>

#include <atomic>
#include <string>

#include "shmq/detail/segment.hpp"
#include "shmq/errors.hpp"
#include "shmq/geometry.hpp"

namespace shmq::test {

inline std::string unique_queue_name(const std::string& tag) {
  static std::atomic<int> counter{0};
  // relaxed: only uniqueness matters.
  return "shmq-test-" + tag + "-" + std::to_string(getpid()) + "-" +
         std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

// Owns a queue name: removes the segment when the scope ends, even if the test failed.
class TestQueue {
 public:
  explicit TestQueue(const std::string& tag) : name_(unique_queue_name(tag)) {}
  ~TestQueue() {
    try {
      Segment::remove(name_);
    } catch (const Error&) {
      // Not ours to remove after all: nothing a destructor can do about it.
    }
  }
  TestQueue(const TestQueue&) = delete;
  TestQueue& operator=(const TestQueue&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] std::string path() const { return "/dev/shm/" + name_; }

 private:
  std::string name_;
};

// A geometry for tests: `capacity` slots of `slot_size` bytes, single or multi on both sides.
inline QueueConfig queue_config(std::uint32_t capacity, std::uint32_t slot_size = 64,
                                bool multi = false) {
  QueueConfig config;
  config.capacity = capacity;
  config.slot_size = slot_size;
  config.multi_producer = multi;
  config.multi_consumer = multi;
  return config;
}

}  // namespace shmq::test
