// Runs one measurement between real processes: fork()ed producers and consumers, started
// together from a barrier, each bounded by a time limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "transport.hpp"

namespace shmq::bench {

struct Throughput {
  std::uint64_t messages = 0;  // received by consumers (checked against sent)
  double seconds = 0;
  [[nodiscard]] double messages_per_second() const {
    return static_cast<double>(messages) / seconds;
  }
};

// Producers send for `duration`; timed from their start until the last consumer has received
// everything sent. nullopt if a process failed, hung, or messages went missing.
std::optional<Throughput> measure_throughput(Transport& transport, const Spec& spec,
                                             std::chrono::steady_clock::duration duration);

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
};

// Ping-pong between two processes over two instances of a transport (request and response),
// one message in flight; round-trip times in microseconds.
std::optional<Latency> measure_latency(Transport& requests, Transport& responses,
                                       const Spec& spec, std::uint32_t round_trips);

// Single-core memcpy bandwidth in MB/s for blocks of `size` bytes into a ring of `capacity`
// blocks (the copy a producer does into shared memory).
double memcpy_bandwidth(std::size_t size, std::uint32_t capacity);

}  // namespace shmq::bench
