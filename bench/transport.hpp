// A transport under test: something that moves fixed-size messages from producer processes to
// consumer processes. The parent creates it before fork(); each child then opens its end.
//
// A message's first 8 bytes carry its sequence number; kStop there marks the end of a run (the
// last producer to finish sends one per consumer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace shmq::bench {

inline constexpr std::uint64_t kStop = ~std::uint64_t{0};

struct Spec {
  std::string name;        // unique per run: named objects use it
  std::size_t size = 64;   // message bytes
  std::uint32_t capacity = 1024;
  int producers = 1;
  int consumers = 1;
};

class Sender {
 public:
  virtual ~Sender() = default;
  virtual void send(std::span<const std::byte> message) = 0;
  // Sends `count` messages of spec.size bytes numbered from `first`. Transports that batch
  // override it; the default sends one at a time.
  virtual void send_many(std::uint64_t first, std::uint64_t count, std::span<std::byte> scratch);
};

class Receiver {
 public:
  virtual ~Receiver() = default;
  // Blocks for one message; copies it into `out` (out.size() == spec.size).
  virtual void receive(std::span<std::byte> out) = 0;
  // Receives until a stop message; returns how many data messages came. Transports that batch
  // override it.
  virtual std::uint64_t receive_until_stop(std::span<std::byte> scratch);
};

class Transport {
 public:
  virtual ~Transport() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual bool supports(const Spec& spec) const;
  virtual void create(const Spec& spec) = 0;  // parent, before fork()
  virtual void destroy() = 0;                 // parent, after every child has exited
  virtual std::unique_ptr<Sender> sender() = 0;      // in a producer child
  virtual std::unique_ptr<Receiver> receiver() = 0;  // in a consumer child
};

// Every transport the benchmark knows, shmq variants first.
std::vector<std::unique_ptr<Transport>> all_transports();

[[nodiscard]] inline std::uint64_t sequence_of(std::span<const std::byte> message) {
  std::uint64_t value;
  __builtin_memcpy(&value, message.data(), sizeof value);
  return value;
}
inline void set_sequence(std::span<std::byte> message, std::uint64_t value) {
  __builtin_memcpy(message.data(), &value, sizeof value);
}

}  // namespace shmq::bench
