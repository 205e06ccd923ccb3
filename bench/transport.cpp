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
  return out;
}

}  // namespace shmq::bench
