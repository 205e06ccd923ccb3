#include "nats_settings.hpp"

#include <boost/program_options.hpp>

#include "nats_session.hpp"
#include "nats_workload.hpp"
#include "options.hpp"

namespace po = boost::program_options;

namespace shmq::nats_bench {
namespace {

constexpr const char* kSynopsis =
    "Sends --count stamped messages from one thread to another, through JetStream alone\n"
    "(--mode plain: js_PublishAsync, a durable pull consumer) or through shmq queues (--mode\n"
    "shmq: put into --queue-in, take from --queue-out, with shmq-bridge out and in carrying\n"
    "them across JetStream in between; one queue for both, and no NATS, when they are the\n"
    "same). Prints one JSON line: mode, size, count, rate, messages (received, each once),\n"
    "duplicates, corrupt, seconds (first send to last receive), msgs_per_sec, p50_us, p99_us\n"
    "(receive time - send time), outcome. Measure throughput at --rate 0 and latency at a\n"
    "paced rate.";

void add_options(po::options_description& description) {
  // One option to a paragraph, as in shared/cli/options.cpp: the formatter would run them on.
  // clang-format off
  description.add_options()
      ("mode", po::value<std::string>()->default_value("plain"),
       "plain (JetStream alone) or shmq (through --queue-in and --queue-out)")
      ("count", po::value<std::string>()->default_value("100k"), "messages to send (k/M suffixes)")
      ("size", po::value<std::string>()->default_value("64"),
       "bytes per message, at least 16 (the send time and a sequence number), at most 1M")
      ("rate", po::value<std::string>()->default_value("0"),
       "messages per second the publisher keeps to; 0: as fast as it can")
      ("timeout", po::value<std::string>()->default_value("300"),
       "seconds the whole run may take (exit 4 when they pass)")
      ("url", po::value<std::string>(), "NATS server URLs, comma-separated (plain; default "
                                        "nats://127.0.0.1:14222)")
      ("stream", po::value<std::string>(), "JetStream stream, created if missing (plain; default "
                                           "SHMQ_BENCH)")
      ("subject", po::value<std::string>(), "subject published to (plain; default shmq.bench)")
      ("durable", po::value<std::string>(), "durable pull consumer, created if missing (plain; "
                                            "default shmq-bench)")
      ("replicas", po::value<std::string>(), "replicas of a stream it creates (plain; default 3)")
      ("max-pending", po::value<std::string>(),
       "asynchronous publishes awaiting their ack at most (plain; default 1024)")
      ("batch", po::value<std::string>(), "messages per fetch, or per take (default 256)")
      ("msg-id", "give every message a Nats-Msg-Id, as shmq-bridge out does (plain)")
      ("fetch-wait", po::value<std::string>(),
       "milliseconds a fetch that found nothing waits for its batch to fill, at least 20; the "
       "server ends the wait 10 ms sooner, and at a paced rate a message waits for that (plain; "
       "default 20)")
      ("queue-in", po::value<std::string>(), "shmq queue the publisher puts into (shmq)")
      ("queue-out", po::value<std::string>(), "shmq queue the receiver takes from (shmq)")
      ("help,h", "show this help")
      ("version", "show the version");
  // clang-format on
}

// The value of an option that has one, or nothing.
std::optional<std::string> given(const po::variables_map& values, const char* option) {
  if (!values.count(option)) return std::nullopt;
  return values[option].as<std::string>();
}

void read_plain_options(const po::variables_map& values, Settings& settings) {
  if (auto text = given(values, "url")) settings.urls = bridge::split_urls(*text, "url");
  if (auto text = given(values, "stream")) settings.stream = *text;
  if (auto text = given(values, "subject")) settings.subject = *text;
  if (auto text = given(values, "durable")) settings.durable = *text;
  settings.msg_ids = values.count("msg-id") != 0;
  if (auto text = given(values, "replicas")) {
    settings.replicas = static_cast<int>(cli::parse_count_up_to(*text, "replicas", 5));
  }
  if (auto text = given(values, "max-pending")) {
    settings.max_pending = static_cast<int>(cli::parse_count_up_to(*text, "max-pending", 1 << 20));
  }
  if (auto text = given(values, "fetch-wait")) {
    settings.fetch_wait_ms = static_cast<int>(cli::parse_count_up_to(*text, "fetch-wait", 60'000));
    if (settings.fetch_wait_ms < 20) throw cli::UsageError("--fetch-wait must be at least 20");
  }
}

}  // namespace

const char* to_string(Mode mode) noexcept {
  return mode == Mode::plain ? "plain" : "shmq";
}

std::optional<Settings> read_settings(int argc, char** argv) {
  po::options_description description("shmq-nats-bench options");
  add_options(description);
  po::variables_map values;
  if (!cli::parse_command_line(argc, argv, "shmq-nats-bench", kSynopsis, description, values)) {
    return std::nullopt;
  }
  Settings settings;
  const auto& mode = values["mode"].as<std::string>();
  if (mode == "shmq") {
    settings.mode = Mode::shmq;
  } else if (mode != "plain") {
    throw cli::UsageError("--mode must be 'plain' or 'shmq', not '" + mode + "'");
  }
  settings.count = cli::parse_count(values["count"].as<std::string>(), "count");
  if (settings.count > std::uint64_t{1} << 32) {
    throw cli::UsageError("--count must be at most 2^32");
  }
  const auto size = cli::parse_size(values["size"].as<std::string>(), "size");
  if (size < kStampSize || size > (1U << 20)) {
    throw cli::UsageError("--size must be from 16 to 1M bytes");
  }
  settings.size = static_cast<std::uint32_t>(size);
  const auto& rate = values["rate"].as<std::string>();
  settings.rate = rate == "0" ? 0 : cli::parse_count_up_to(rate, "rate", 100'000'000);
  settings.timeout = cli::parse_seconds(values["timeout"].as<std::string>(), "timeout");
  if (auto text = given(values, "batch")) {
    settings.batch = static_cast<int>(cli::parse_count_up_to(*text, "batch", 1 << 16));
  }
  read_plain_options(values, settings);
  settings.queue_in = given(values, "queue-in").value_or("");
  settings.queue_out = given(values, "queue-out").value_or("");
  if (settings.mode == Mode::shmq && (settings.queue_in.empty() || settings.queue_out.empty())) {
    throw cli::UsageError("--mode shmq needs --queue-in and --queue-out");
  }
  if (settings.mode == Mode::plain && !(settings.queue_in.empty() && settings.queue_out.empty())) {
    throw cli::UsageError("--queue-in and --queue-out belong to --mode shmq");
  }
  return settings;
}

}  // namespace shmq::nats_bench
