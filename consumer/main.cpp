// consumer: receives messages from a queue and writes them as lines, or verifies generated ones.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "delivery_record.hpp"
#include "exit_codes.hpp"
#include "options.hpp"
#include "output_sink.hpp"
#include "progress_line.hpp"
#include "run_end.hpp"
#include "shmq/consumer.hpp"
#include "signals.hpp"
#include "statistics.hpp"
#include "verifier.hpp"
#include "wait_notice.hpp"

namespace po = boost::program_options;
using namespace shmq;
using namespace shmq::cli;
using shmq::consumer::OutputSink;
using shmq::consumer::UnreadableMessage;
using shmq::consumer::Verifier;

namespace {

constexpr const char* kSynopsis =
    "Receives messages from the named queue, creating it if needed (--no-create: only if it\n"
    "exists), until end of stream: every producer that attached has detached and the ring is\n"
    "empty.\n"
    "  --output FILE|-   write each message followed by a newline (default: standard output);\n"
    "                    FILE is emptied only once the queue is attached\n"
    "  --verify          check generated messages: checksum, per-producer order, no gaps\n"
    "  --record FILE     with a --verify option: log (producer, sequence) of each message\n"
    "A message is released back to the ring only after it has been written out. On SIGINT,\n"
    "SIGTERM or SIGHUP the consumer finishes the messages it holds, detaches, prints its\n"
    "statistics and exits 128 + the signal's number (130, 143, 129).\n"
    "A word that is not an option is a usage error (exit 2).\n"
    "End of stream waits for messages other consumers hold: a dead consumer's are delivered\n"
    "first, and one that holds a batch past its --lease (stopped, say) loses it to the others.\n"
    "When standard error is a terminal, a live progress line shows messages, bytes, rate and\n"
    "ring depth, and a wait that goes on says once what it waits for (a producer, on a queue\n"
    "it just created?); binary messages (producer --count) bound for a terminal get a hint\n"
    "that --output wants a file or a pipe. A waiting consumer sleeps in the kernel, waking at\n"
    "most 10 times a second. The final statistics time the run from the first message received.";

constexpr std::uint32_t kDefaultBatch = 256;  // slots per take: one atomic per batch

struct Settings {
  CommonOptions common;
  std::optional<std::string> output;
  std::optional<shmq::consumer::VerifyLevel> verify;
  std::uint32_t expect_producers = 1;
  std::chrono::nanoseconds delay{0};
  std::chrono::milliseconds lease = kDefaultLease;
  std::uint32_t batch = kDefaultBatch;
  std::optional<std::string> record;
};

struct Progress : RunEnd {
  explicit Progress(bool show_line) : RunEnd("end-of-stream"), line("consumer", show_line) {}

  ProgressLine line;
  // Started by the first batch: the rate is the queue's, not diluted by waiting for a producer.
  std::optional<Stopwatch> since_first_message;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t skipped = 0;
  std::uint64_t corrupt_slots = 0;
};

Settings read_settings(const po::variables_map& values) {
  Settings settings;
  settings.common = read_common_options(values);
  if (values.count("output")) settings.output = values["output"].as<std::string>();
  using shmq::consumer::VerifyLevel;
  const std::pair<const char*, VerifyLevel> levels[] = {{"verify", VerifyLevel::complete},
                                                        {"verify-order", VerifyLevel::order},
                                                        {"verify-checksum", VerifyLevel::checksum}};
  for (const auto& [option, level] : levels) {
    if (!values.count(option)) continue;
    if (settings.verify) {
      throw UsageError("pick one of --verify, --verify-order, --verify-checksum");
    }
    settings.verify = level;
  }
  if (!settings.verify && !settings.output) settings.output = "-";
  if (values.count("expect-producers")) {
    settings.expect_producers = parse_count_up_to(values["expect-producers"].as<std::string>(),
                                                  "expect-producers", 1U << 20);
  }
  if (values.count("lease")) {
    settings.lease = std::chrono::duration_cast<std::chrono::milliseconds>(
        parse_seconds(values["lease"].as<std::string>(), "lease"));
  }
  if (values.count("delay")) {
    settings.delay = parse_seconds(values["delay"].as<std::string>(), "delay");
  }
  if (values.count("batch")) {
    settings.batch = parse_count_up_to(values["batch"].as<std::string>(), "batch", 1U << 16);
  }
  if (settings.delay.count() != 0) settings.batch = 1;  // a slow consumer: one slot at a time
  if (values.count("record")) {
    if (!settings.verify) throw UsageError("--record needs one of the --verify options");
    settings.record = values["record"].as<std::string>();
  }
  return settings;
}

std::optional<OutputSink> open_output(const std::optional<std::string>& path, int flags,
                                      const char* option) {
  if (!path) return std::nullopt;
  if (*path == "-") return OutputSink(STDOUT_FILENO, "standard output");
  const int fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
  if (fd < 0) {
    throw UsageError(std::string("cannot open --") + option + " '" + *path + "': " +
                     std::strerror(errno));
  }
  return OutputSink(fd, *path);  // the descriptor lives until the process exits
}

void log_message(const Consumer& consumer, std::span<const std::byte> message) {
  std::cerr << "Consumer storing message: "
            << std::string_view(reinterpret_cast<const char*>(message.data()), message.size())
            << " (queue size=" << consumer.depth() << ")\n";
}

struct Sinks {
  std::optional<OutputSink> output;
  std::optional<OutputSink> record;
  std::optional<Verifier> verifier;
  // Standard output is a terminal and no binary message has gone to it yet.
  bool binary_hint_due = false;
};

// Whether a message holds bytes a terminal does not show as text (control characters other than
// tab and carriage return): generated messages (producer --count) do.
bool looks_binary(std::span<const std::byte> message) {
  return std::any_of(message.begin(), message.end(), [](std::byte b) {
    const auto c = std::to_integer<unsigned char>(b);
    return (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f;
  });
}

// Says once, before the first binary message goes to a terminal, where such messages belong.
void hint_if_binary(Sinks& sinks, const ReadBatch& batch, std::uint64_t delivered_before) {
  if (!sinks.binary_hint_due) return;
  std::uint64_t n = delivered_before;
  for (const auto message : batch) {
    ++n;
    if (!looks_binary(message)) continue;
    sinks.binary_hint_due = false;
    std::cerr << "consumer: message " << n << " is binary (generated by producer --count?) and "
              << "standard output is a terminal: --output wants a file or a pipe for such "
              << "messages (or check them with --verify)\n";
    return;
  }
}

// Verifies, records and writes one message.
void handle(const Consumer& consumer, const Settings& settings, Sinks& sinks,
            std::span<const std::byte> message) {
  if (sinks.verifier) {
    message_format::Decoded decoded;
    const bool intact = sinks.verifier->check(message, decoded);
    if (sinks.record) {
      const DeliveryRecord record = intact ? DeliveryRecord{decoded.producer, 0, decoded.sequence}
                                           : DeliveryRecord{kCorruptRecord, 0, 0};
      sinks.record->write_raw(std::as_bytes(std::span(&record, 1)));
    }
  }
  if (sinks.output) sinks.output->write_line(message);
  if (settings.common.verbose) log_message(consumer, message);
}

// Whether nothing needs doing per message besides checking and writing (a --record entry, a
// --verbose line, a --delay): then handle_in_bulk() does the batch in a loop that tests no
// option per message.
bool in_bulk(const Settings& settings, const Sinks& sinks) {
  return !sinks.record && !settings.common.verbose && settings.delay.count() == 0;
}

// Checks and writes out a batch in_bulk(); returns its bytes. Checked and written message by
// message, each read once: on the 2-core VM, 24 M msg/s of 64 B against 20 M for a pass each.
std::uint64_t handle_in_bulk(Sinks& sinks, const ReadBatch& batch) {
  if (!sinks.verifier) return sinks.output->write_lines(batch);  // no --verify: --output is set
  if (!sinks.output) return sinks.verifier->check_all(batch);
  message_format::Decoded decoded;
  std::uint64_t bytes = 0;
  for (const auto message : batch) {
    (void)sinks.verifier->check(message, decoded);
    sinks.output->write_line(message);
    bytes += message.size();
  }
  return bytes;
}

// Verifies, records and writes out a batch, all of it out of our hands when this returns: the
// slots may go back. A full staging buffer may write (and throw UnreadableMessage) on the way.
// Returns false, writing nothing more, if our lease on the batch ran out meanwhile (we were
// stopped): its messages are another consumer's, and the views may show later ones.
bool deliver(const Consumer& consumer, const Settings& settings, Sinks& sinks,
             const ReadBatch& batch, Progress& progress) {
  hint_if_binary(sinks, batch, progress.messages);
  std::uint64_t bytes = 0;
  if (in_bulk(settings, sinks)) {
    bytes = handle_in_bulk(sinks, batch);
  } else {
    for (const auto message : batch) {
      handle(consumer, settings, sinks, message);
      bytes += message.size();
      // Per message: a slot may hold several packed messages.
      if (settings.delay.count() != 0) std::this_thread::sleep_for(settings.delay);
    }
  }
  if (!consumer.still_holds(batch)) {
    if (sinks.record) sinks.record->discard_pending();
    if (sinks.output) sinks.output->discard_pending();
    return false;
  }
  if (sinks.record) sinks.record->flush();
  if (sinks.output) sinks.output->flush();
  progress.bytes += bytes;
  return true;
}

void receive(Consumer& consumer, const Settings& settings, Sinks& sinks, Progress& progress) {
  WaitNotice notice({"consumer", settings.common.name, consumer.created_queue(),
                     settings.common.config},
                    !settings.common.quiet, progress.line);
  ReadBatch batch;
  for (;;) {
    const Status status =
        notice.run(settings.common.deadline(), WaitingFor::messages, [&](Clock::time_point until) {
          return consumer.take(batch, settings.batch, until);
        });
    if (status != Status::ok &&
        status != Status::corrupt) {  // end_of_stream, timeout, cancelled, lost
      progress.stop_on(status, "consumer", settings.common.name);
      return;
    }
    if (!progress.since_first_message && !batch.empty()) progress.since_first_message.emplace();
    bool delivered = false;
    try {
      delivered = deliver(consumer, settings, sinks, batch, progress);
    } catch (const UnreadableMessage&) {
      // The slot under a message written in place is gone: the queue was truncated.
      progress.stop_on(Status::lost, "consumer", settings.common.name);
      return;
    }
    // Not delivered: our lease ran out, the batch is another's (release() counts it as lost).
    if (delivered) {
      progress.messages += batch.size();
      if (progress.line.due()) {
        progress.line.draw(progress.messages, progress.bytes, consumer.depth());
      }
      progress.skipped += batch.skipped();
      progress.corrupt_slots += batch.corrupt();
    }
    consumer.release(batch);
    // A corrupt batch still delivered its good messages; then the run stops.
    if (status == Status::corrupt || stop_requested()) {
      progress.stop_on(status == Status::corrupt ? status : Status::cancelled, "consumer",
                       settings.common.name);
      return;
    }
  }
}

int run(int argc, char** argv) {
  po::options_description description("Options");
  add_common_options(description);
  description.add_options()
      ("output,o", po::value<std::string>(), "write messages as lines to FILE, or '-' for stdout")
      ("verify", "verify generated messages: checksums, per-producer order, and no gaps")
      ("verify-order", "verify checksums and per-producer order only (one of several consumers)")
      ("verify-checksum", "verify checksums only (consumers that may get redelivered messages)")
      ("expect-producers", po::value<std::string>(),
       "end of stream only after this many producers have attached and left (default 1)")
      ("delay", po::value<std::string>(), "seconds to wait after each message (a slow consumer)")
      ("lease", po::value<std::string>(), "multi-consumer: seconds we may hold a batch before "
       "other processes hand it to other consumers (default 30; 0: for ever)")
      ("batch", po::value<std::string>(), "slots per take, 1-65536 (default 256); a slot holds one "
       "message, or several small ones packed by the producer")
      ("record", po::value<std::string>(),
       "append a binary (producer, sequence) record per verified message to this file, written "
       "before the message is released (for kill tests)");
  po::variables_map values;
  if (!parse_command_line(argc, argv, "consumer", kSynopsis, description, values)) return kExitOk;
  const Settings settings = read_settings(values);
  if (settings.common.remove) {
    return remove_queue("consumer", settings.common.name, settings.common.quiet, false,
                        settings.common.config);
  }

  const auto& stop = install_stop_handlers();
  Sinks sinks;
  // Not truncated yet: a start that fails (a queue of another geometry, say) destroys nothing.
  sinks.output = open_output(settings.output, 0, "output");
  sinks.record = open_output(settings.record, O_APPEND, "record");
  if (settings.verify) sinks.verifier.emplace(*settings.verify);
  Consumer consumer(settings.common.name, settings.common.open_mode(), settings.common.config,
                    AttachOptions{settings.common.wait, &stop, settings.expect_producers,
                                  settings.lease});
  report_repairs("consumer", settings.common, consumer.reaped_at_attach(),
                 consumer.replaced_abandoned());
  // Attached: now a file we opened may lose its old contents (standard output is the shell's).
  if (sinks.output && settings.output != "-") sinks.output->truncate();
  // Not over messages that go to the same terminal.
  const bool output_on_terminal = settings.output == "-" && isatty(STDOUT_FILENO) != 0;
  sinks.binary_hint_due = output_on_terminal && !settings.common.quiet;
  Progress progress(!settings.common.quiet && !settings.common.verbose && !output_on_terminal);
  receive(consumer, settings, sinks, progress);
  consumer.close();
  progress.line.clear();

  RunStatistics stats{"consumer", settings.common.name, progress.messages, progress.bytes,
                      progress.since_first_message ? progress.since_first_message->seconds() : 0.0,
                      progress.outcome(), {}};
  if (progress.skipped != 0) stats.extra.emplace_back("skipped", progress.skipped);
  if (consumer.lost_to_lease() != 0) {
    stats.extra.emplace_back("redelivered", consumer.lost_to_lease());
  }
  if (progress.corrupt_slots != 0) {
    stats.extra.emplace_back("corrupt_slots", progress.corrupt_slots);
  }
  if (sinks.verifier) {
    const auto counts = sinks.verifier->finish();
    stats.extra.emplace_back("producers", counts.producers);
    stats.extra.emplace_back("corrupt", counts.corrupt);
    stats.extra.emplace_back("out_of_order", counts.out_of_order);
    stats.extra.emplace_back("missing", counts.missing);
    if (!counts.clean()) {
      std::cerr << "consumer: verification failed: " << sinks.verifier->first_problem() << "\n";
      progress.stop(kExitVerify, "verification failed");
      stats.outcome = progress.outcome();
    }
  }
  if (!settings.common.quiet) std::cerr << summary_line(stats);
  if (!settings.common.json_path.empty()) write_json_file(stats, settings.common.json_path);
  return progress.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("consumer", [&] { return run(argc, argv); });
}
