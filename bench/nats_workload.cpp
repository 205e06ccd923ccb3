#include "nats_workload.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace shmq::nats_bench {

std::int64_t now_ns() noexcept {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

void write_stamp(std::span<std::byte> message, std::int64_t sent_ns, std::uint64_t sequence) {
  std::memcpy(message.data(), &sent_ns, sizeof sent_ns);
  std::memcpy(message.data() + sizeof sent_ns, &sequence, sizeof sequence);
}

bool Run::should_stop() {
  if (stop.load(std::memory_order_relaxed)) return true;
  if (std::chrono::steady_clock::now() < deadline) return false;
  timed_out.store(true, std::memory_order_relaxed);
  stop.store(true, std::memory_order_relaxed);
  return true;
}

void Run::fail(const std::string& why) {
  {
    const std::lock_guard lock(mutex_);
    if (failure_.empty()) failure_ = why;
  }
  stop.store(true, std::memory_order_relaxed);
}

std::string Run::failure() const {
  const std::lock_guard lock(mutex_);
  return failure_;
}

void Pacer::wait_for_turn(std::uint64_t sequence) {
  if (rate_ == 0) return;
  if (sequence == 0) start_ns_ = now_ns();
  // An absolute schedule: a late message does not push back the ones after it.
  const auto due_ns =
      start_ns_ + static_cast<std::int64_t>(static_cast<double>(sequence) * 1e9 / rate_);
  const timespec due{due_ns / 1'000'000'000, due_ns % 1'000'000'000};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, nullptr) != 0) {
  }
}

Tally::Tally(std::uint64_t count, std::size_t size)
    : count_(count), size_(size), seen_(count, false) {
  latencies_ns_.reserve(count);
}

void Tally::record(std::span<const std::byte> message, std::int64_t received_ns) {
  std::int64_t sent_ns = 0;
  std::uint64_t sequence = 0;
  if (message.size() != size_) {
    ++corrupt_;
    return;
  }
  std::memcpy(&sent_ns, message.data(), sizeof sent_ns);
  std::memcpy(&sequence, message.data() + sizeof sent_ns, sizeof sequence);
  if (sequence >= count_) {
    ++corrupt_;
  } else if (seen_[sequence]) {
    ++duplicates_;
  } else {
    seen_[sequence] = true;
    ++received_;
    latencies_ns_.push_back(received_ns - sent_ns);
    last_receive_ns_ = received_ns;
    sorted_ = false;
  }
}

double Tally::latency_us(double q) {
  const auto n = latencies_ns_.size();
  if (n == 0) return 0;
  if (!sorted_) std::sort(latencies_ns_.begin(), latencies_ns_.end());
  sorted_ = true;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
  return static_cast<double>(latencies_ns_[std::clamp<std::size_t>(rank, 1, n) - 1]) / 1e3;
}

}  // namespace shmq::nats_bench
