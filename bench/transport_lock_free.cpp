// A plain lock-free single-producer/single-consumer ring that publishes every message on its own
// (one release store per message, polling with sched_yield when it must wait): the usual
// hand-written alternative, without shmq's batching, blocking or crash safety.
#include <sched.h>

#include <atomic>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <cstring>
#include <new>

#include "transports.hpp"

namespace shmq::bench {
namespace {

namespace bip = boost::interprocess;

struct Ring {
  alignas(64) std::atomic<std::uint64_t> head{0};  // written by the producer only
  alignas(64) std::atomic<std::uint64_t> tail{0};  // written by the consumer only
  alignas(64) std::uint32_t capacity = 0;
  std::size_t size = 0;
  std::byte* slot(std::uint64_t position) {
    return reinterpret_cast<std::byte*>(this + 1) + (position % capacity) * size;
  }
};

class RingEnd final : public Sender, public Receiver {
 public:
  explicit RingEnd(const std::string& name)
      : shm_(bip::open_only, name.c_str(), bip::read_write), region_(shm_, bip::read_write),
        ring_(*static_cast<Ring*>(region_.get_address())) {}
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
  bip::shared_memory_object shm_;
  bip::mapped_region region_;
  Ring& ring_;
};

class LockFreeTransport final : public Transport {
 public:
  std::string name() const override { return "lock-free-ring"; }
  bool supports(const Spec& spec) const override {
    return spec.producers == 1 && spec.consumers == 1;
  }
  void create(const Spec& spec) override {
    name_ = spec.name;
    bip::shared_memory_object::remove(name_.c_str());
    bip::shared_memory_object shm(bip::create_only, name_.c_str(), bip::read_write);
    shm.truncate(static_cast<bip::offset_t>(sizeof(Ring) + spec.capacity * spec.size));
    bip::mapped_region region(shm, bip::read_write);
    auto* ring = new (region.get_address()) Ring;
    ring->capacity = spec.capacity;
    ring->size = spec.size;
  }
  void destroy() override { bip::shared_memory_object::remove(name_.c_str()); }
  std::unique_ptr<Sender> sender() override { return std::make_unique<RingEnd>(name_); }
  std::unique_ptr<Receiver> receiver() override { return std::make_unique<RingEnd>(name_); }

 private:
  std::string name_;
};

}  // namespace

void add_lock_free_transport(std::vector<std::unique_ptr<Transport>>& out) {
  out.push_back(std::make_unique<LockFreeTransport>());
}

std::vector<std::unique_ptr<Transport>> all_transports() {
  std::vector<std::unique_ptr<Transport>> out;
  add_shmq_transports(out);
  add_kernel_transports(out);
  add_boost_transports(out);
  add_lock_free_transport(out);
  return out;
}

}  // namespace shmq::bench
