// A plain lock-free single-producer/single-consumer ring that publishes every message on its own
// (one release store per message, polling with sched_yield when it must wait): the usual
// hand-written alternative, without shmq's batching, blocking or crash safety.
#include <sched.h>

#include <atomic>
#include <cstring>

#include "shared_ring.hpp"
#include "transports.hpp"

namespace shmq::bench {
namespace {

struct Ring {
  Ring(std::uint32_t capacity_, std::size_t size_) : capacity(capacity_), size(size_) {}
  alignas(64) std::atomic<std::uint64_t> head{0};  // written by the producer only
  alignas(64) std::atomic<std::uint64_t> tail{0};  // written by the consumer only
  alignas(64) std::uint32_t capacity;
  std::size_t size;
  std::byte* slot(std::uint64_t position) {
    return reinterpret_cast<std::byte*>(this + 1) + (position % capacity) * size;
  }
};

class RingEnd final : public Sender, public Receiver {
 public:
  explicit RingEnd(const std::string& name) : mapping_(name), ring_(mapping_.ring()) {}
  void send(std::span<const std::byte> message) override {
    const std::uint64_t head = ring_.head.load(std::memory_order_relaxed);  // ours alone
    // acquire: the consumer has finished reading the slot we are about to overwrite.
    while (head - ring_.tail.load(std::memory_order_acquire) == ring_.capacity) sched_yield();
    std::memcpy(ring_.slot(head), message.data(), message.size());
    // release: the message is complete before the consumer sees the new head.
    ring_.head.store(head + 1, std::memory_order_release);
  }
  void receive(std::span<std::byte> out) override {
    const std::uint64_t tail = ring_.tail.load(std::memory_order_relaxed);  // ours alone
    // acquire: pairs with the producer's release of head.
    while (ring_.head.load(std::memory_order_acquire) == tail) sched_yield();
    std::memcpy(out.data(), ring_.slot(tail), out.size());
    // release: our read is done before the producer reuses the slot.
    ring_.tail.store(tail + 1, std::memory_order_release);
  }

 private:
  RingMapping<Ring> mapping_;
  Ring& ring_;
};

}  // namespace

void add_lock_free_transport(std::vector<std::unique_ptr<Transport>>& out) {
  out.push_back(std::make_unique<SharedRingTransport<Ring, RingEnd>>("lock-free-ring", true));
}

}  // namespace shmq::bench
