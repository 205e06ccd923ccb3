// shmq-nats-bench: one thread publishes stamped messages, another receives them, through
// JetStream alone (--mode plain) or through shmq queues that shmq-bridge carries across JetStream
// (--mode shmq); prints throughput and latency as one JSON line. scripts/measure-bridge.sh runs
// both against one cluster and compares them.
//
//   shmq-nats-bench --mode plain [--url U,...] [--stream S] [--subject X] [--durable D]
//   shmq-nats-bench --mode shmq --queue-in QA --queue-out QB
//                   [--count N] [--size B] [--rate R] [--batch B] [--timeout SEC]
#include <cmath>
#include <functional>
#include <iostream>
#include <optional>
#include <thread>

#include "exit_codes.hpp"
#include "json_output.hpp"
#include "nats_client.hpp"
#include "nats_endpoints.hpp"
#include "options.hpp"

using namespace shmq::nats_bench;
namespace cli = shmq::cli;

namespace {

void publish_all(Sender& sender, const Settings& settings, Run& run) {
  std::vector<std::byte> message(settings.size, std::byte{0x5a});
  Pacer pacer(settings.rate);
  for (std::uint64_t sequence = 0; sequence < settings.count; ++sequence) {
    if (run.stop.load(std::memory_order_relaxed)) return;  // the receiver failed or gave up
    pacer.wait_for_turn(sequence);
    const auto sent_ns = now_ns();
    if (sequence == 0) run.first_send_ns.store(sent_ns, std::memory_order_relaxed);
    write_stamp(message, sent_ns, sequence);
    if (!sender.send(message)) return;
  }
  sender.finish();
}

// Until every message arrived once, the stream ended, or the run is to stop.
void receive_all(Receiver& receiver, Tally& tally, Run& run) {
  while (!tally.complete() && !run.should_stop()) {
    if (!receiver.receive(tally)) return;
  }
}

// A thread's body: what it throws fails the run (and stops the other thread).
std::thread start_guarded(Run& run, std::function<void()> body) {
  return std::thread([&run, body = std::move(body)] {
    try {
      body();
    } catch (const std::exception& e) {
      run.fail(e.what());
    }
  });
}

double rounded(double value) {
  return std::round(value * 10) / 10;
}

// The JSON line, and the exit code it stands for.
int report(const Settings& settings, Run& run, Tally& tally) {
  const auto failure = run.failure();
  int code = cli::kExitOk;
  std::string outcome = "ok";
  if (!failure.empty()) {
    code = cli::kExitFailure;
    outcome = "failed";
    std::cerr << "shmq-nats-bench: " << failure << "\n";
  } else if (!tally.complete() && run.timed_out.load(std::memory_order_relaxed)) {
    code = cli::kExitTimeout;
    outcome = "timeout";
  } else if (!tally.complete() || tally.corrupt() != 0) {
    code = cli::kExitVerify;
    outcome = tally.complete() ? "corrupt" : "incomplete";  // incomplete: the stream ended early
  }
  if (code != cli::kExitOk) {
    std::cerr << "shmq-nats-bench: " << outcome << ": " << tally.received() << " of "
              << settings.count << " messages arrived, " << tally.corrupt() << " corrupt\n";
  }
  const auto first_send_ns = run.first_send_ns.load(std::memory_order_relaxed);
  const double seconds = tally.received() == 0
                             ? 0
                             : static_cast<double>(tally.last_receive_ns() - first_send_ns) / 1e9;
  cli::Json line;
  line["mode"] = to_string(settings.mode);
  line["size"] = settings.size;
  line["count"] = settings.count;
  line["rate"] = settings.rate;
  line["messages"] = tally.received();
  line["duplicates"] = tally.duplicates();
  line["corrupt"] = tally.corrupt();
  line["seconds"] = seconds;
  line["msgs_per_sec"] =
      seconds > 0 ? std::round(static_cast<double>(tally.received()) / seconds) : 0;
  line["p50_us"] = rounded(tally.latency_us(0.50));
  line["p99_us"] = rounded(tally.latency_us(0.99));
  line["outcome"] = outcome;
  std::cout << cli::json_line(cli::versioned(line));
  return code;
}

int run_bench(const Settings& settings) {
  Run run;
  run.deadline = std::chrono::steady_clock::now() + settings.timeout;
  std::optional<Library> library;  // outlives every NATS object below
  if (settings.mode == Mode::plain) library.emplace();
  Endpoints endpoints =
      settings.mode == Mode::plain ? plain_endpoints(settings, run) : shmq_endpoints(settings, run);
  Tally tally(settings.count, settings.size);
  auto receiving = start_guarded(run, [&] { receive_all(*endpoints.receiver, tally, run); });
  auto publishing = start_guarded(run, [&] { publish_all(*endpoints.sender, settings, run); });
  publishing.join();
  receiving.join();
  return report(settings, run, tally);
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_guarded("shmq-nats-bench", [&] {
    const auto settings = read_settings(argc, argv);
    return settings ? run_bench(*settings) : cli::kExitOk;
  });
}
