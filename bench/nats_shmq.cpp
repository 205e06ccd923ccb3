// --mode shmq: the same workload through shmq queues, put into --queue-in and taken from
// --queue-out; shmq-bridge out and in carry the messages across JetStream between the two.
#include <stdexcept>

#include "nats_endpoints.hpp"
#include "shmq/consumer.hpp"
#include "shmq/producer.hpp"

namespace shmq::nats_bench {
namespace {

// How long one blocking call waits before the loop around it looks at the run again (the stop
// flag ends it sooner, within a wait slice).
constexpr auto kWaitStep = std::chrono::milliseconds(200);

[[noreturn]] void fail_on(Status status, const std::string& what) {
  throw std::runtime_error(what + ": " + std::string(to_string(status)));
}

// A queue we create must hold a message in one slot; one that exists (a bridge made it) is taken
// as it is, so the default slot size is left unsaid whenever it is enough.
QueueConfig config_for(const Settings& settings) {
  QueueConfig config;
  if (settings.size > kDefaultSlotSize) config.slot_size = settings.size;
  return config;
}

AttachOptions attach_options(Run& run) {
  AttachOptions options;
  options.stop = &run.stop;
  return options;
}

class QueueSender final : public Sender {
 public:
  QueueSender(const Settings& settings, Run& run)
      : run_(run),
        name_(settings.queue_in),
        producer_(name_, OpenMode::open_or_create, config_for(settings), attach_options(run)) {}

  bool send(std::span<const std::byte> message) override {
    for (;;) {
      const Status status = producer_.put_until(message, deadline_after(kWaitStep));
      if (status == Status::ok) return true;
      if (status != Status::timeout && status != Status::cancelled) {
        fail_on(status, "putting into " + name_);
      }
      if (run_.should_stop()) return false;
    }
  }

  // Detaching is end of stream for the queue's consumer: the bridge, or our own receiver.
  void finish() override { producer_.close(); }

 private:
  Run& run_;
  std::string name_;
  Producer producer_;
};

class QueueReceiver final : public Receiver {
 public:
  QueueReceiver(const Settings& settings, Run& run)
      : name_(settings.queue_out),
        batch_size_(static_cast<std::uint32_t>(settings.batch)),
        consumer_(name_, OpenMode::open_or_create, config_for(settings), attach_options(run)) {}

  bool receive(Tally& tally) override {
    const Status status = consumer_.take(batch_, batch_size_, deadline_after(kWaitStep));
    if (status == Status::end_of_stream) return false;
    if (status == Status::timeout || status == Status::cancelled) return true;
    if (status != Status::ok && status != Status::corrupt) fail_on(status, "taking from " + name_);
    // A corrupt batch still holds its good messages: count them before giving up.
    const auto received_ns = now_ns();
    for (const auto message : batch_) tally.record(message, received_ns);
    consumer_.release(batch_);
    if (status == Status::corrupt) fail_on(status, "taking from " + name_);
    return true;
  }

 private:
  std::string name_;
  std::uint32_t batch_size_;
  Consumer consumer_;
  ReadBatch batch_;
};

}  // namespace

Endpoints shmq_endpoints(const Settings& settings, Run& run) {
  Endpoints endpoints;
  endpoints.receiver = std::make_unique<QueueReceiver>(settings, run);
  endpoints.sender = std::make_unique<QueueSender>(settings, run);
  return endpoints;
}

}  // namespace shmq::nats_bench
