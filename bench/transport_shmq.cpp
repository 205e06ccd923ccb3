// shmq itself, in the ways of using it: copy in and out in batches (blocking or spinning waits),
// the same with small messages packed several to a 1 KiB slot, zero-copy (write and read in
// place), one message per call (put/get), and put/get of messages larger than a slot (in
// fragments over 64 KiB slots). Each on a queue whose sides are single where the run has one
// process of that side (an explicit promise of exclusivity), or, for the "-default" rows, as a
// queue created without mode options is (multi on both sides).
#include <algorithm>
#include <cstring>
#include <vector>

#include "shmq/consumer.hpp"
#include "shmq/detail/segment.hpp"
#include "shmq/producer.hpp"
#include "transports.hpp"

namespace shmq::bench {
namespace {

// Messages per claim and take: the programs' default (256), but at most a quarter of the ring,
// so that a batch being filled never holds the slots the other side needs next.
std::uint32_t batch_for(const Spec& spec) { return std::clamp(spec.capacity / 4, 1U, 256U); }
constexpr auto kForever = Clock::time_point::max();

enum class Mode { copy, packed, zero_copy, one_by_one, fragments };

// Slots of the packed mode: the programs' default size, or one message if that is larger.
constexpr std::uint32_t kPackedSlotSize = 1024;
// Slots of the fragments mode: a message larger than this goes in fragments.
constexpr std::uint32_t kFragmentSlotSize = 64 * 1024;

struct Options {
  Mode mode;
  WaitStrategy wait;
  bool default_modes = false;  // multi on both sides, as a queue created without mode options
};

QueueConfig config_for(const Spec& spec, const Options& options) {
  const auto size = static_cast<std::uint32_t>(spec.size);
  QueueConfig config;
  config.capacity = spec.capacity;
  config.slot_size = options.mode == Mode::packed      ? std::max(size, kPackedSlotSize)
                     : options.mode == Mode::fragments ? std::min(size, kFragmentSlotSize)
                                                       : size;
  if (!options.default_modes) {
    config.multi_producer = spec.producers > 1;
    config.multi_consumer = spec.consumers > 1;
  }
  return config;
}

class ShmqSender final : public Sender {
 public:
  ShmqSender(const Spec& spec, Options options)
      : producer_(spec.name, OpenMode::open_only, QueueConfig{}, AttachOptions{options.wait}),
        options_(options),
        batch_(batch_for(spec)) {}

  void send(std::span<const std::byte> message) override { (void)producer_.put(message); }

  void send_many(std::uint64_t first, std::uint64_t count, std::span<std::byte> scratch) override {
    if (options_.mode == Mode::one_by_one || options_.mode == Mode::fragments) {
      return Sender::send_many(first, count, scratch);
    }
    const auto size = static_cast<std::uint32_t>(scratch.size());
    if (options_.mode == Mode::packed) return send_packed(first, count, scratch);
    WriteBatch batch;
    for (std::uint64_t sent = 0; sent < count;) {
      const auto want = static_cast<std::uint32_t>(std::min<std::uint64_t>(batch_, count - sent));
      if (producer_.claim(batch, want, kForever) != Status::ok) return;
      for (std::uint32_t i = 0; i < batch.size(); ++i) {
        const auto slot = batch.buffer(i).first(size);
        if (options_.mode == Mode::copy) std::memcpy(slot.data(), scratch.data(), size);
        set_sequence(slot, first + sent + i);
        batch.set_length(i, size);
      }
      sent += batch.size();
      producer_.publish(batch);
    }
  }

 private:
  // As many messages per slot as fit, batch_ messages per claim; one per slot if only one fits.
  void send_packed(std::uint64_t first, std::uint64_t count, std::span<std::byte> scratch) {
    const auto size = static_cast<std::uint32_t>(scratch.size());
    const std::uint32_t per_slot =
        std::max(WriteBatch::packable(producer_.geometry().slot_size, size), 1U);
    WriteBatch batch;
    for (std::uint64_t sent = 0; sent < count;) {
      const std::uint64_t want = std::min<std::uint64_t>(batch_, count - sent);
      const auto slots = static_cast<std::uint32_t>((want + per_slot - 1) / per_slot);
      if (producer_.claim(batch, slots, kForever) != Status::ok) return;
      const std::uint64_t end = sent + want;
      for (std::uint32_t i = 0; i < batch.size() && sent < end; ++i) {
        const std::uint64_t slot_first = first + sent;
        const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(per_slot, end - sent));
        sent += batch.append_many(i, size, n, [&](std::span<std::byte> at, std::uint32_t k) {
          std::memcpy(at.data(), scratch.data(), size);
          set_sequence(at, slot_first + k);
        });
      }
      producer_.publish(batch);
    }
  }

  Producer producer_;
  Options options_;
  std::uint32_t batch_;
};

class ShmqReceiver final : public Receiver {
 public:
  ShmqReceiver(const Spec& spec, Options options)
      : consumer_(spec.name, OpenMode::open_only, QueueConfig{}, AttachOptions{options.wait}),
        options_(options),
        batch_(batch_for(spec)) {}

  void receive(std::span<std::byte> out) override {
    if (consumer_.take(one_, 1, kForever) == Status::ok && !one_.empty()) {
      std::memcpy(out.data(), one_[0].data(), out.size());
    }
    consumer_.release(one_);
  }

  std::uint64_t receive_until_stop(std::span<std::byte> scratch) override {
    if (options_.mode == Mode::fragments) return get_until_stop();
    std::uint64_t received = 0;
    const std::uint32_t max = options_.mode == Mode::one_by_one ? 1 : batch_;
    ReadBatch batch;
    for (;;) {
      if (consumer_.take(batch, max, kForever) != Status::ok) return received;
      bool stop = false;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (options_.mode != Mode::zero_copy) {
          std::memcpy(scratch.data(), batch[i].data(), batch[i].size());
        }
        if (sequence_of(batch[i]) == kStop) {
          stop = true;
        } else {
          ++received;
        }
      }
      consumer_.release(batch);
      if (stop) return received;
    }
  }

 private:
  // get(), the copy API: one copy out of the slots (a message in fragments is assembled into
  // `message_` by that copy).
  std::uint64_t get_until_stop() {
    for (std::uint64_t received = 0;; ++received) {
      if (consumer_.get(message_) != Status::ok || sequence_of(message_) == kStop) return received;
    }
  }

  Consumer consumer_;
  Options options_;
  std::uint32_t batch_;
  ReadBatch one_;  // reused: receive() allocates nothing
  std::vector<std::byte> message_;
};

class ShmqTransport final : public Transport {
 public:
  ShmqTransport(std::string name, Options options) : name_(std::move(name)), options_(options) {}
  std::string name() const override { return name_; }
  void create(const Spec& spec) override {
    spec_ = spec;
    Segment::remove(spec.name);
    Segment::open(spec.name, OpenMode::create_only, config_for(spec, options_));
  }
  void destroy() override { Segment::remove(spec_.name); }
  std::unique_ptr<Sender> sender() override {
    return std::make_unique<ShmqSender>(spec_, options_);
  }
  std::unique_ptr<Receiver> receiver() override {
    return std::make_unique<ShmqReceiver>(spec_, options_);
  }

 private:
  std::string name_;
  Options options_;
  Spec spec_;
};

}  // namespace

void add_shmq_transports(std::vector<std::unique_ptr<Transport>>& out) {
  out.push_back(std::make_unique<ShmqTransport>("shmq", Options{Mode::copy, WaitStrategy::block}));
  out.push_back(
      std::make_unique<ShmqTransport>("shmq-spin", Options{Mode::copy, WaitStrategy::spin}));
  out.push_back(
      std::make_unique<ShmqTransport>("shmq-packed", Options{Mode::packed, WaitStrategy::block}));
  out.push_back(std::make_unique<ShmqTransport>("shmq-zero-copy",
                                                Options{Mode::zero_copy, WaitStrategy::block}));
  out.push_back(std::make_unique<ShmqTransport>("shmq-1-by-1",
                                                Options{Mode::one_by_one, WaitStrategy::block}));
  out.push_back(std::make_unique<ShmqTransport>("shmq-default",
                                                Options{Mode::copy, WaitStrategy::block, true}));
  out.push_back(std::make_unique<ShmqTransport>(
      "shmq-1-by-1-default", Options{Mode::one_by_one, WaitStrategy::block, true}));
  out.push_back(std::make_unique<ShmqTransport>(
      "shmq-spin-1-by-1-default", Options{Mode::one_by_one, WaitStrategy::spin, true}));
  out.push_back(std::make_unique<ShmqTransport>(
      "shmq-fragments", Options{Mode::fragments, WaitStrategy::block, true}));
}

}  // namespace shmq::bench
