// Per-process choices made when attaching to a queue (they are not stored in the segment).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace shmq {

using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC on Linux: every deadline is on it

enum class WaitStrategy : std::uint8_t {
  block,  // poll (yielding) for up to 200 us, then sleep in the kernel until woken
  spin,   // poll with sched_yield: lowest latency, burns a core while waiting
};

inline constexpr std::chrono::milliseconds kDefaultLease{30'000};

struct AttachOptions {
  WaitStrategy wait = WaitStrategy::block;
  // When set and raised, blocking calls return Status::cancelled: at once when a signal
  // interrupts the waiting thread (a handler installed without SA_RESTART that sets the flag),
  // otherwise within a wait slice (kWaitSlice).
  const std::atomic<bool>* stop = nullptr;
  // Consumer only: end of stream is reported only after this many producers have attached
  // during the consumer's lifetime and all of them have detached.
  std::uint32_t expect_producers = 1;
  // Consumer of a multi-consumer queue: how long it may hold messages it took before another
  // process hands them to other consumers (as JetStream's AckWait or an SQS visibility
  // timeout); 0 or less: for ever. A consumer stopped, or slower than this per batch, then sees
  // them again only if nobody else took them (Consumer::lost_to_lease()).
  std::chrono::milliseconds lease{kDefaultLease};
  // Producer only: its leaving is not end of stream, nor is its death; the stream ends only when
  // it (or a successor attached the same way) calls Producer::end_stream(). Consumers wait
  // meanwhile (bounded by their deadlines). For a producer that relays a stream with its own end
  // marker and is restarted by a supervisor when it dies: shmq-bridge in.
  bool ends_explicitly = false;
  // Shown beside this process by `shmq stat` (what it is connected to, say): at most 128 bytes
  // are kept, control characters show as '?'.
  std::string_view note{};
};

// Blocking calls sleep in the kernel in slices of at most this length, between which they
// notice a stop request raised by another thread, the end of a stream whose wake-up raced with
// going to sleep, and dead peers to reap: an idle waiter wakes at most 10 times a second.
inline constexpr auto kWaitSlice = std::chrono::milliseconds(100);

[[nodiscard]] inline Clock::time_point deadline_after(Clock::duration timeout) {
  const auto now = Clock::now();
  return timeout >= Clock::time_point::max() - now ? Clock::time_point::max() : now + timeout;
}

}  // namespace shmq
