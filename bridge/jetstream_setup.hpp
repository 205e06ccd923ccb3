// The JetStream objects a bridge relies on: the stream `out` publishes to (created if missing)
// and the durable pull consumer `in` reads from.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "shmq/attach_options.hpp"

namespace shmq::bridge {

struct StreamWanted {
  std::string name;
  std::string subject{};
  int replicas = 3;
  std::chrono::nanoseconds duplicate_window{std::chrono::minutes(2)};
  std::int32_t max_message_size = -1;  // bytes, headers included; -1: the server's limit
};

struct StreamFacts {
  std::int64_t max_message_size = -1;  // bytes; -1: the server's limit only
  std::chrono::nanoseconds duplicate_window{0};
  bool created = false;
};

// Looks the stream up, creating it (file storage) if missing. An existing stream whose
// subjects do not cover the subject is refused (BridgeFailure, kExitFailure).
[[nodiscard]] StreamFacts ensure_stream(jsCtx* js, const StreamWanted& wanted);

// Waits, polling, until the stream exists; BridgeFailure(kExitTimeout) at `until`, and the
// stop exit code when a stop arrives. Unless `quiet`, says once that it waits, as `program`.
void wait_for_stream(jsCtx* js, const std::string& stream, Clock::time_point until,
                     const char* program, bool quiet);

struct DurableWanted {
  std::string stream;
  std::string name;
  std::chrono::nanoseconds ack_wait{std::chrono::seconds(30)};
  std::int64_t max_ack_pending = 1024;
  // Only what is published from its creation on (else from the stream's start), and only on
  // this subject ("": all of the stream's).
  bool from_now = false;
  std::string subject{};
};

// Creates the durable pull consumer (explicit acks) unless it exists.
void ensure_durable(jsCtx* js, const DurableWanted& wanted);

// ensure_durable(), then binds a pull subscription to the durable. The subscription is destroyed, never unsubscribed: the
// durable outlives the bridge, and its successor goes on from where it stopped.
[[nodiscard]] natsSubscription* bind_durable(jsCtx* js, const DurableWanted& wanted);

}  // namespace shmq::bridge
