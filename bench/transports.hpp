// Registration of the transports, one function per source file.
#pragma once

#include <memory>
#include <vector>

#include "transport.hpp"

namespace shmq::bench {

void add_shmq_transports(std::vector<std::unique_ptr<Transport>>& out);
void add_kernel_transports(std::vector<std::unique_ptr<Transport>>& out);    // pipe, socket, mq
void add_boost_transports(std::vector<std::unique_ptr<Transport>>& out);     // boost mq, naive
void add_lock_free_transport(std::vector<std::unique_ptr<Transport>>& out);  // per-message ring
void add_limit_transport(std::vector<std::unique_ptr<Transport>>& out);  // round-trip limit
// The peers a user would pick instead, each only if built (SHMQ_BENCH_ZMQ, SHMQ_BENCH_ICEORYX).
void add_peer_transports(std::vector<std::unique_ptr<Transport>>& out);     // both below
void add_zmq_transport(std::vector<std::unique_ptr<Transport>>& out);       // zeromq
void add_iceoryx_transports(std::vector<std::unique_ptr<Transport>>& out);  // iceoryx, zero-copy

}  // namespace shmq::bench
