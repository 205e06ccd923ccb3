// shmq-bridge out: attaches to a queue as a consumer and publishes every message to a
// JetStream stream. A batch goes back to the ring only once JetStream has acknowledged every
// message of it, so a bridge killed at any instant loses nothing: what it held is handed to its
// successor, which publishes it again under the same Nats-Msg-Id, and JetStream's duplicate
// window drops the copies.
#pragma once

#include <atomic>

#include "bridge_settings.hpp"

namespace shmq::bridge {

[[nodiscard]] int run_out(const BridgeSettings& settings, const std::atomic<bool>& stop);

}  // namespace shmq::bridge
