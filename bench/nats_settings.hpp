// shmq-nats-bench's command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shmq::nats_bench {

enum class Mode { plain, shmq };

struct Settings {
  Mode mode = Mode::plain;
  std::uint64_t count = 100'000;
  std::uint32_t size = 64;
  std::uint32_t rate = 0;  // messages/s; 0: as fast as the path allows
  std::chrono::nanoseconds timeout = std::chrono::seconds(300);
  // plain
  std::vector<std::string> urls{"nats://127.0.0.1:14222"};
  std::string stream = "SHMQ_BENCH";
  std::string subject = "shmq.bench";
  std::string durable = "shmq-bench";
  int replicas = 3;
  int max_pending = 1024;
  int batch = 256;
  // How long one fetch waits for its batch to fill. It bounds the latency at a paced rate: a
  // fetch that found the stream empty returns only when the batch is full or the server's pull
  // request expires, which nats.c makes 10 ms sooner than this from 20 ms on. Below 20 ms both
  // end at once, and what the server sends meanwhile is left over for the next fetch (see
  // nats_plain.cpp for why left-overs are to be few).
  int fetch_wait_ms = 20;
  // shmq
  std::string queue_in;
  std::string queue_out;
};

// Parses argv; nullopt after --help or --version (already printed). Throws cli::UsageError.
std::optional<Settings> read_settings(int argc, char** argv);

[[nodiscard]] const char* to_string(Mode mode) noexcept;

}  // namespace shmq::nats_bench
