// Boost.Interprocess baselines: its message_queue, and the documents' three-semaphore ring
// written plainly (one interprocess_semaphore wait and post per message, memcpy under the mutex).
#include <boost/interprocess/ipc/message_queue.hpp>
#include <boost/interprocess/sync/interprocess_semaphore.hpp>
#include <cstring>

#include "shared_ring.hpp"
#include "transports.hpp"

namespace shmq::bench {
namespace {

namespace bip = boost::interprocess;

class BoostMqSender final : public Sender {
 public:
  explicit BoostMqSender(const std::string& name) : mq_(bip::open_only, name.c_str()) {}
  void send(std::span<const std::byte> message) override {
    mq_.send(message.data(), message.size(), 0);
  }

 private:
  bip::message_queue mq_;
};

class BoostMqReceiver final : public Receiver {
 public:
  explicit BoostMqReceiver(const std::string& name) : mq_(bip::open_only, name.c_str()) {}
  void receive(std::span<std::byte> out) override {
    bip::message_queue::size_type received = 0;
    unsigned priority = 0;
    mq_.receive(out.data(), out.size(), received, priority);
  }

 private:
  bip::message_queue mq_;
};

class BoostMqTransport final : public Transport {
 public:
  std::string name() const override { return "boost-mq"; }
  void create(const Spec& spec) override {
    name_ = spec.name;
    bip::message_queue::remove(name_.c_str());
    bip::message_queue(bip::create_only, name_.c_str(), spec.capacity, spec.size);
  }
  void destroy() override { bip::message_queue::remove(name_.c_str()); }
  std::unique_ptr<Sender> sender() override { return std::make_unique<BoostMqSender>(name_); }
  std::unique_ptr<Receiver> receiver() override {
    return std::make_unique<BoostMqReceiver>(name_);
  }

 private:
  std::string name_;
};

// The seeds' bounded buffer: room, items, mutex; one wait and one post of each per message.
struct NaiveRing {
  NaiveRing(std::uint32_t capacity_, std::size_t size_)
      : room(capacity_), items(0), mutex(1), capacity(capacity_), size(size_) {}
  bip::interprocess_semaphore room;
  bip::interprocess_semaphore items;
  bip::interprocess_semaphore mutex;
  std::uint32_t capacity;
  std::size_t size;
  std::uint64_t head = 0;  // guarded by mutex
  std::uint64_t tail = 0;  // guarded by mutex
  std::byte* slot(std::uint64_t position) {
    return reinterpret_cast<std::byte*>(this + 1) + (position % capacity) * size;
  }
};

class NaiveRingEnd final : public Sender, public Receiver {
 public:
  explicit NaiveRingEnd(const std::string& name) : mapping_(name), ring_(mapping_.ring()) {}
  void send(std::span<const std::byte> message) override {
    ring_.room.wait();
    ring_.mutex.wait();
    std::memcpy(ring_.slot(ring_.head++), message.data(), message.size());
    ring_.mutex.post();
    ring_.items.post();
  }
  void receive(std::span<std::byte> out) override {
    ring_.items.wait();
    ring_.mutex.wait();
    std::memcpy(out.data(), ring_.slot(ring_.tail++), out.size());
    ring_.mutex.post();
    ring_.room.post();
  }

 private:
  RingMapping<NaiveRing> mapping_;
  NaiveRing& ring_;
};

}  // namespace

void add_boost_transports(std::vector<std::unique_ptr<Transport>>& out) {
  out.push_back(std::make_unique<BoostMqTransport>());
  out.push_back(std::make_unique<SharedRingTransport<NaiveRing, NaiveRingEnd>>(
      "naive-3-semaphores", false));
}

}  // namespace shmq::bench
