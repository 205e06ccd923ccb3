// What a bridge run is asked to do, read from its command line (see main.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "nats_session.hpp"
#include "options.hpp"

namespace shmq::bridge {

enum class Direction : std::uint8_t {
  out,  // queue -> JetStream: a consumer of the queue
  in,   // JetStream -> queue: a producer of the queue
};

struct BridgeSettings {
  Direction direction = Direction::out;
  cli::CommonOptions common;  // the queue, its geometry when creating, --timeout, --quiet, --json
  NatsSettings nats;
  std::string stream;
  bool follow = false;  // never publish (out) or obey (in) the end-of-stream marker
  // out
  std::string subject;
  int replicas = 3;
  std::uint32_t max_pending = 1024;  // slots taken per batch, and unacknowledged publishes
  std::chrono::nanoseconds duplicate_window{std::chrono::minutes(2)};
  std::int32_t max_message_size = -1;  // of a stream we create; -1: the server's limit
  // in
  std::string durable;
  std::uint32_t batch = 256;  // messages per fetch: also the most a killed `in` duplicates
  std::chrono::nanoseconds ack_wait{std::chrono::seconds(30)};

  [[nodiscard]] const char* program() const noexcept {
    return direction == Direction::out ? "shmq-bridge out" : "shmq-bridge in";
  }
};

}  // namespace shmq::bridge
