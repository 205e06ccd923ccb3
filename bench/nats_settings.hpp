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
  // How long one fetch waits for a first message when none is there (fetch_batch() returns
  // with the first): how often an idle receiver wakes, not a message's latency. From 20 ms on,
  // nats.c ends the server's pull request 10 ms sooner, so that little is left over.
  int fetch_wait_ms = 20;
  // Every message carries a Nats-Msg-Id, as shmq-bridge out's do: the same exactly-once
  // publishing (JetStream checks each id against its duplicate window).
  bool msg_ids = false;
  // shmq
  std::string queue_in;
  std::string queue_out;
};

// Parses argv; nullopt after --help or --version (already printed). Throws cli::UsageError.
std::optional<Settings> read_settings(int argc, char** argv);

[[nodiscard]] const char* to_string(Mode mode) noexcept;

}  // namespace shmq::nats_bench
