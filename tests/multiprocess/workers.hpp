// Bodies of the child processes in multi-process tests. Each returns 0 on success, so the parent
// checks exit codes; the data a consumer received goes to a file the parent inspects.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "shmq/consumer.hpp"
#include "shmq/detail/message_format.hpp"
#include "shmq/inspect.hpp"
#include "shmq/producer.hpp"

namespace shmq::test {

struct Received {
  std::uint32_t producer;
  std::uint64_t sequence;
};

inline QueueConfig test_config(std::uint32_t capacity, bool multi) {
  QueueConfig config;
  config.capacity = capacity;
  config.slot_size = 64;
  config.multi_producer = multi;
  config.multi_consumer = multi;
  return config;
}

// Puts `count` generated messages of 64 bytes, in batches of up to `batch`.
inline int produce(const std::string& name, const QueueConfig& config, std::uint32_t id,
                   std::uint64_t count, std::uint32_t batch = 7) {
  Producer producer(name, OpenMode::open_or_create, config);
  const message_format::Writer writer(id, 64);
  std::uint64_t sequence = 0;
  while (sequence < count) {
    WriteBatch claimed;
    const auto want = static_cast<std::uint32_t>(std::min<std::uint64_t>(batch, count - sequence));
    if (const Status s = producer.claim(claimed, want, Clock::now() + std::chrono::seconds(60));
        s != Status::ok) {
      std::fprintf(stderr, "producer %u: claim returned %s\n", id,
                   std::string(to_string(s)).c_str());
      return 10;
    }
    for (std::uint32_t i = 0; i < claimed.size(); ++i, ++sequence) {
      writer.write(claimed.buffer(i), sequence);
      claimed.set_length(i, 64);
    }
    producer.publish(claimed);
  }
  return 0;
}

// Puts `count` generated messages one by one, every third of them larger than a slot of 64
// bytes (100 bytes: two fragments), so that deaths land in the middle of fragmented ones too.
inline int produce_mixed(const std::string& name, const QueueConfig& config, std::uint32_t id,
                         std::uint64_t count) {
  Producer producer(name, OpenMode::open_or_create, config);
  const message_format::Writer small(id, 40);
  const message_format::Writer large(id, 100);
  std::vector<std::byte> message;
  for (std::uint64_t sequence = 0; sequence < count; ++sequence) {
    const bool fragmented = sequence % 3 == 0;
    message.resize(fragmented ? 100 : 40);
    (fragmented ? large : small).write(message, sequence);
    if (const Status s = producer.put_for(message, std::chrono::seconds(60)); s != Status::ok) {
      std::fprintf(stderr, "producer %u: put returned %s\n", id, std::string(to_string(s)).c_str());
      return 10;
    }
  }
  return 0;
}

// Receives until end of stream. Each batch's (producer, sequence) records are appended to
// `record_path` and flushed before the batch is released, so a consumer killed at any point has
// recorded at least everything it finished (at-least-once, like the consumer program).
inline int consume(const std::string& name, const QueueConfig& config,
                   std::uint32_t expect_producers, const std::string& record_path) {
  AttachOptions options;
  options.expect_producers = expect_producers;
  Consumer consumer(name, OpenMode::open_or_create, config, options);
  std::FILE* out = std::fopen(record_path.c_str(), "ab");
  if (out == nullptr) return 23;
  std::vector<Received> received;
  message_format::Checker checker;
  ReadBatch batch;
  for (;;) {
    const Status status = consumer.take(batch, 5, Clock::now() + std::chrono::seconds(60));
    if (status == Status::end_of_stream) break;
    if (status != Status::ok) return 20;
    received.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      message_format::Decoded decoded;
      if (checker.check(batch[i], decoded) != message_format::Check::ok) return 21;
      received.push_back({decoded.producer, decoded.sequence});
    }
    if (std::fwrite(received.data(), sizeof(Received), received.size(), out) != received.size() ||
        std::fflush(out) != 0) {
      return 22;
    }
    consumer.release(batch);
  }
  return std::fclose(out) == 0 ? 0 : 22;
}

inline std::vector<Received> read_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
  std::vector<Received> records(bytes.size() / sizeof(Received));
  std::memcpy(records.data(), bytes.data(), records.size() * sizeof(Received));
  return records;
}

// A temporary file path removed at the end of the scope.
class TempFile {
 public:
  explicit TempFile(const std::string& tag)
      : path_("/tmp/shmq-test-" + tag + "-" + std::to_string(getpid()) + "-" +
              std::to_string(counter()++)) {}
  ~TempFile() { std::remove(path_.c_str()); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  static int& counter() {
    static int value = 0;
    return value;
  }
  std::string path_;
};

// Waits (bounded) until the segment file of `name` exists, so a test can fix who starts first.
inline bool wait_for_queue_file(const std::string& name) {
  const std::string path = "/dev/shm/" + name;
  for (int i = 0; i < 10000; ++i) {
    if (access(path.c_str(), F_OK) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Waits (bounded) until `count` live consumers are attached to `name`, so that a test can be sure
// a consumer is in the stream before the producer starts.
inline bool wait_for_consumers(const std::string& name, std::uint32_t count) {
  for (int i = 0; i < 10000; ++i) {
    try {
      if (inspect_queue(name).count(layout::Role::consumer, true) >= count) return true;
    } catch (const Error&) {
      // Not created, or not ready yet.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

}  // namespace shmq::test
