// The two ends of shmq-nats-bench's path: a sender the publishing thread feeds, a receiver the
// receiving thread drains. One pair per mode, so that the workload around them is the same.
#pragma once

#include <memory>
#include <span>

#include "nats_settings.hpp"
#include "nats_workload.hpp"

namespace shmq::nats_bench {

// Used by the publishing thread only.
class Sender {
 public:
  virtual ~Sender() = default;
  // Sends one message, blocking while the path is full. False: the run is to stop (deadline,
  // or the other side failed). Throws on a failure of the path.
  virtual bool send(std::span<const std::byte> message) = 0;
  // After the last message: waits until the path has taken every message (JetStream acked
  // them; the shmq producer detached, which is end of stream). Raises the run's failure if some
  // never made it.
  virtual void finish() = 0;
};

// Used by the receiving thread only.
class Receiver {
 public:
  virtual ~Receiver() = default;
  // Waits a bounded while for what comes next and records it in `tally`, all of a batch at the
  // time the batch arrived. False at end of stream. Throws on a failure of the path.
  virtual bool receive(Tally& tally) = 0;
};

struct Endpoints {
  std::unique_ptr<Sender> sender;
  std::unique_ptr<Receiver> receiver;
};

// JetStream alone: creates the stream and the durable if missing, connects both ends (one
// connection each). Throws std::runtime_error.
[[nodiscard]] Endpoints plain_endpoints(const Settings& settings, Run& run);
// shmq queues: attaches the receiver to --queue-out first, so that it counts the publisher's
// detaching as end of stream even where the two queues are one. Throws shmq::Error.
[[nodiscard]] Endpoints shmq_endpoints(const Settings& settings, Run& run);

}  // namespace shmq::nats_bench
