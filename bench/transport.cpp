#include "transport.hpp"

#include "transports.hpp"

namespace shmq::bench {

void Sender::send_many(std::uint64_t first, std::uint64_t count, std::span<std::byte> scratch) {
  for (std::uint64_t i = 0; i < count; ++i) {
    set_sequence(scratch, first + i);
    send(scratch);
  }
}

std::uint64_t Receiver::receive_until_stop(std::span<std::byte> scratch) {
  std::uint64_t received = 0;
  for (;;) {
    receive(scratch);
    if (sequence_of(scratch) == kStop) return received;
    ++received;
  }
}

bool Transport::supports(const Spec&) const { return true; }

std::vector<std::unique_ptr<Transport>> all_transports() {
  std::vector<std::unique_ptr<Transport>> out;
  add_shmq_transports(out);
  add_kernel_transports(out);
  add_boost_transports(out);
  add_lock_free_transport(out);
  add_limit_transport(out);
  add_peer_transports(out);
  return out;
}

void add_peer_transports(std::vector<std::unique_ptr<Transport>>& out) {
#ifdef SHMQ_BENCH_ZMQ
  add_zmq_transport(out);
#endif
#ifdef SHMQ_BENCH_ICEORYX
  add_iceoryx_transports(out);
#endif
  (void)out;  // used by neither when neither is built
}

}  // namespace shmq::bench
