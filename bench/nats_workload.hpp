// shmq-nats-bench's workload, the same in both modes: stamped messages sent at a paced rate, and a
// tally of what arrived (latencies, duplicates, corrupt messages).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace shmq::nats_bench {

// Every message starts with its send time (CLOCK_MONOTONIC ns) and its sequence number, 8 bytes
// each in host order: sender and receiver are threads of one process, so one clock and one order.
inline constexpr std::size_t kStampSize = 16;

[[nodiscard]] std::int64_t now_ns() noexcept;  // CLOCK_MONOTONIC

void write_stamp(std::span<std::byte> message, std::int64_t sent_ns, std::uint64_t sequence);

// What one run shares between its publishing and its receiving thread.
struct Run {
  std::chrono::steady_clock::time_point deadline;  // --timeout (steady_clock is CLOCK_MONOTONIC)
  // Raised when one side fails or gives up, so that the other does not wait for the deadline. The
  // library's blocking calls watch it too (AttachOptions::stop); a relaxed flag is enough: it
  // only ends waits, it publishes no data.
  std::atomic<bool> stop{false};
  std::atomic<bool> timed_out{false};
  std::atomic<std::int64_t> first_send_ns{0};  // read after join(): relaxed is enough

  // Whether the run is to end now; notes a timeout. Called between blocking calls.
  [[nodiscard]] bool should_stop();
  // The first failure wins; every one raises stop.
  void fail(const std::string& why);
  [[nodiscard]] std::string failure() const;

 private:
  mutable std::mutex mutex_;
  std::string failure_;
};

// Sleeps until message `sequence` is due at `rate` messages/s from the first; rate 0 never waits.
class Pacer {
 public:
  explicit Pacer(std::uint32_t rate) : rate_(rate) {}
  void wait_for_turn(std::uint64_t sequence);

 private:
  std::uint32_t rate_;
  std::int64_t start_ns_ = 0;
};

// What the receiver saw. One thread records; the others read only after it has been joined.
class Tally {
 public:
  Tally(std::uint64_t count, std::size_t size);
  // One message received at `received_ns`: its latency, or a duplicate, or corrupt (wrong length,
  // or a sequence number that was never sent).
  void record(std::span<const std::byte> message, std::int64_t received_ns);
  [[nodiscard]] bool complete() const noexcept { return received_ == count_; }

  [[nodiscard]] std::uint64_t received() const noexcept { return received_; }  // each once
  [[nodiscard]] std::uint64_t duplicates() const noexcept { return duplicates_; }
  [[nodiscard]] std::uint64_t corrupt() const noexcept { return corrupt_; }
  [[nodiscard]] std::int64_t last_receive_ns() const noexcept { return last_receive_ns_; }
  // The q-quantile (0 < q <= 1, nearest rank) of the latencies, in microseconds; 0 if none.
  [[nodiscard]] double latency_us(double q);

 private:
  std::uint64_t count_;
  std::size_t size_;
  std::vector<bool> seen_;  // by sequence number
  std::vector<std::int64_t> latencies_ns_;
  bool sorted_ = false;
  std::uint64_t received_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t corrupt_ = 0;
  std::int64_t last_receive_ns_ = 0;
};

}  // namespace shmq::nats_bench
