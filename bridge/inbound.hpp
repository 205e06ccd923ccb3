// shmq-bridge in: fills a queue, as its producer, from a durable JetStream pull consumer. A
// JetStream message is acknowledged only once it is in the ring, so a bridge killed at any
// instant loses nothing: what it fetched and had not acknowledged is delivered again, to its
// successor (at least once: up to one fetch batch of duplicates per killed bridge). It attaches
// as a producer that ends the stream only explicitly, at the end-of-stream marker: its death is
// no end of stream for the queue's consumers.
#pragma once

#include <atomic>

#include "bridge_settings.hpp"

namespace shmq::bridge {

[[nodiscard]] int run_in(const BridgeSettings& settings, const std::atomic<bool>& stop);

}  // namespace shmq::bridge
