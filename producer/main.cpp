// producer: sends lines, generated checkable messages, or the demo's random numbers to a queue.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "exit_codes.hpp"
#include "line_source.hpp"
#include "options.hpp"
#include "progress_file.hpp"
#include "progress_line.hpp"
#include "run_end.hpp"
#include "shmq/detail/message_format.hpp"
#include "shmq/detail/layout.hpp"
#include "shmq/producer.hpp"
#include "signals.hpp"
#include "statistics.hpp"
#include "wait_notice.hpp"

namespace po = boost::program_options;
using namespace shmq;
using namespace shmq::cli;
using shmq::producer::LineSource;
using shmq::producer::ProgressFile;

namespace {

constexpr const char* kSynopsis =
    "Sends messages to the named queue, creating it if needed (--no-create: only if it exists).\n"
    "  --input FILE|-        each line (without its newline) is one message; empty lines too\n"
    "  --count N --size B    N generated, checkable messages of B bytes (id, sequence, checksum)\n"
    "  neither               the demo: random numbers 1-100 (--count of them, default 10)\n"
    "A line longer than the slot size stops the producer with exit code 6; every line before it\n"
    "is delivered. On SIGINT, SIGTERM or SIGHUP it stops reading, detaches, prints its\n"
    "statistics and exits 128 + the signal's number (130, 143, 129).\n"
    "A word that is not an option is a usage error (exit 2); so is a directory as --input.\n"
    "When standard error is a terminal, a live progress line shows messages, bytes, rate and\n"
    "ring depth, and a wait that goes on (a full ring, --join) says once what it waits for.\n"
    "A waiting producer sleeps in the kernel, waking at most 10 times a second.";

constexpr std::uint32_t kDefaultBatch = 256;  // messages per claim: one atomic per batch

struct Settings {
  CommonOptions common;
  std::string input;
  std::uint64_t count = 0;
  std::uint32_t size = 0;
  std::uint32_t producer_id = 0;
  std::chrono::nanoseconds delay{0};
  bool join = false;
  std::uint32_t await_consumers = 0;
  std::uint32_t batch = kDefaultBatch;
  std::string progress_path;
};

struct Progress : RunEnd {
  explicit Progress(bool show_line) : RunEnd("ok"), line("producer", show_line) {}

  ProgressFile file;
  ProgressLine line;
  std::optional<WaitNotice> notice;  // once attached: says what a long wait waits for
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

Settings read_settings(const po::variables_map& values) {
  Settings settings;
  settings.common = read_common_options(values);
  if (values.count("input")) settings.input = values["input"].as<std::string>();
  if (values.count("count")) {
    settings.count = parse_count(values["count"].as<std::string>(), "count");
  }
  if (values.count("size")) {
    const auto size = parse_size(values["size"].as<std::string>(), "size");
    if (size < message_format::kMinSize || size > (64U << 20)) {
      throw UsageError("--size must be between " + std::to_string(message_format::kMinSize) +
                       " bytes and 64M");
    }
    settings.size = static_cast<std::uint32_t>(size);
  }
  if (!settings.input.empty() && (settings.count != 0 || settings.size != 0)) {
    throw UsageError("--input cannot be combined with --count or --size");
  }
  if (settings.size != 0 && settings.count == 0) throw UsageError("--size needs --count");
  const QueueConfig& config = settings.common.config;
  if (config.capacity && config.slot_size &&
      settings.size > config.geometry_to_create().max_message_size()) {
    throw UsageError("--size is larger than the largest message of --capacity x --slot-size "
                     "(a quarter of the ring, or one slot)");
  }
  settings.producer_id = values.count("producer-id")
                             ? parse_id(values["producer-id"].as<std::string>(), "producer-id")
                             : static_cast<std::uint32_t>(getpid());
  if (values.count("delay")) {
    settings.delay = parse_seconds(values["delay"].as<std::string>(), "delay");
  }
  settings.join = values.count("join") != 0;
  if (values.count("await-consumers")) {
    settings.await_consumers = parse_count_up_to(values["await-consumers"].as<std::string>(),
                                                 "await-consumers", layout::kMaxProcesses);
  }
  if (values.count("batch")) {
    settings.batch = parse_count_up_to(values["batch"].as<std::string>(), "batch", 1U << 16);
  }
  if (settings.delay.count() != 0) settings.batch = 1;  // paced: one message at a time
  if (values.count("progress")) settings.progress_path = values["progress"].as<std::string>();
  return settings;
}

// Claims up to `wanted` slots, waiting at most --timeout; records why if it cannot.
bool claim_or_stop(Producer& producer, WriteBatch& batch, std::uint64_t wanted,
                   const Settings& settings, Progress& progress) {
  const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(wanted, settings.batch));
  // A stop request ends the run between batches, also when room never runs out.
  const Status status =
      stop_requested()
          ? Status::cancelled
          : progress.notice->run(settings.common.deadline(), WaitingFor::room,
                                 [&](Clock::time_point until) {
                                   return producer.claim(batch, n, until);
                                 });
  if (status == Status::ok) return true;
  progress.stop_on(status, "producer", settings.common.name);
  return false;
}

// Whether the handle still stands for the queue: a claim of no slots takes nothing, and says
// lost once the mapping was lost (a batch filled after that went into private zero pages).
bool still_in_queue(Producer& producer) {
  WriteBatch none;
  return producer.claim(none, 0, Clock::time_point::min()) != Status::lost;
}

// Counts `messages` and `bytes` the queue accepted: keeps --progress FILE and the progress line
// current, and paces with --delay.
void count_sent(const Producer& producer, std::uint64_t messages, std::uint64_t bytes,
                const Settings& settings, Progress& progress) {
  progress.messages += messages;
  progress.bytes += bytes;
  progress.file.record(progress.messages);
  if (progress.line.due()) progress.line.draw(progress.messages, progress.bytes, producer.depth());
  if (settings.delay.count() != 0) std::this_thread::sleep_for(settings.delay);
}

// Publishes a filled batch of `messages` and `bytes` in all and counts it as accepted only if the
// queue was not lost meanwhile; keeps --progress FILE and the progress line current, and paces
// with --delay. Returns false (the run stops) if the queue was lost.
bool publish(Producer& producer, WriteBatch& batch, std::uint64_t messages, std::uint64_t bytes,
             const Settings& settings, Progress& progress) {
  producer.publish(batch);
  if (!still_in_queue(producer)) {
    progress.stop_on(Status::lost, "producer", settings.common.name);
    return false;
  }
  count_sent(producer, messages, bytes, settings, progress);
  return true;
}

// Puts one message larger than a slot (the library writes it in fragments), waiting at most
// --timeout; counts it as publish() does. Returns false (the run stops) if it could not.
bool put_large(Producer& producer, std::span<const std::byte> message, const Settings& settings,
               Progress& progress) {
  const Status status =
      stop_requested()
          ? Status::cancelled
          : progress.notice->run(settings.common.deadline(), WaitingFor::room,
                                 [&](Clock::time_point until) {
                                   return producer.put_until(message, until);
                                 });
  if (status != Status::ok) {
    progress.stop_on(status, "producer", settings.common.name);
    return false;
  }
  count_sent(producer, 1, message.size(), settings, progress);
  return true;
}


int open_input(const std::string& path) {
  if (path == "-") return STDIN_FILENO;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw UsageError("cannot open --input '" + path + "': " + std::strerror(errno));
  struct stat facts {};
  if (::fstat(fd, &facts) == 0 && S_ISDIR(facts.st_mode)) {
    throw UsageError("--input '" + path + "' is a directory, not a file of lines");
  }
  return fd;
}

// Whether to pack several messages into a slot: always, except when pacing (--delay is per
// message, and a slot is published at once).
bool packing(const Settings& settings) {
  return settings.delay.count() == 0;
}

// One past the last of lines[from, to) that share the slot starting with lines[from]: as many
// as fit packed, or lines[from] alone (also when it is too long to pack but fits the slot).
std::size_t slot_end(const std::vector<std::string_view>& lines, std::size_t from, std::size_t to,
                     std::uint32_t slot_size, bool pack) {
  std::uint64_t used = 0;
  std::size_t end = from;
  while (pack && end < to && used + layout::kRecordPrefix + lines[end].size() <= slot_size) {
    used += layout::kRecordPrefix + lines[end].size();
    ++end;
  }
  return std::max(end, from + 1);
}

// Fills slot i of `batch` with lines[from, end) (see slot_end); returns their bytes.
std::uint64_t fill_slot(const WriteBatch& batch, std::uint32_t i,
                        const std::vector<std::string_view>& lines, std::size_t from,
                        std::size_t end, bool verbose) {
  std::uint64_t bytes = 0;
  for (std::size_t next = from; next < end; ++next) {
    const std::string_view line = lines[next];
    const auto size = static_cast<std::uint32_t>(line.size());
    std::memcpy(batch.append(i, size).data(), line.data(), size);  // fits: see slot_end
    bytes += size;
    if (verbose) std::cerr << "Producer got message: " << line << "\n";
  }
  return bytes;
}

// Sends lines[from, to), each no longer than a slot, in order, packed where they fit.
bool send_slot_lines(Producer& producer, const std::vector<std::string_view>& lines,
                     std::size_t from, std::size_t to, const Settings& settings,
                     Progress& progress) {
  const std::uint32_t slot_size = producer.geometry().slot_size;
  const bool pack = packing(settings);
  std::vector<std::size_t> slot_ends;  // where each slot of the next claim ends, in lines
  for (std::size_t next = from; next < to;) {
    // Up to --batch lines per claim, in the slots they take packed.
    const std::size_t until = std::min<std::size_t>(to, next + settings.batch);
    slot_ends.clear();
    for (std::size_t at = next; at < until; at = slot_ends.back()) {
      slot_ends.push_back(slot_end(lines, at, until, slot_size, pack));
    }
    WriteBatch batch;
    if (!claim_or_stop(producer, batch, slot_ends.size(), settings, progress)) return false;
    const std::size_t first = next;
    std::uint64_t bytes = 0;
    for (std::uint32_t i = 0; i < batch.size(); ++i) {
      bytes += fill_slot(batch, i, lines, next, slot_ends[i], settings.common.verbose);
      next = slot_ends[i];
    }
    if (!publish(producer, batch, next - first, bytes, settings, progress)) return false;
  }
  return true;
}

// Sends the lines in `lines` in order: those that fit a slot packed where they fit, longer ones
// in fragments; stops at the first line longer than the queue's largest message.
bool send_lines(Producer& producer, const std::vector<std::string_view>& lines,
                std::size_t first_line_number, const Settings& settings, Progress& progress) {
  const Geometry& geometry = producer.geometry();
  for (std::size_t next = 0; next < lines.size();) {
    const auto longer = static_cast<std::size_t>(
        std::find_if(lines.begin() + static_cast<std::ptrdiff_t>(next), lines.end(),
                     [&](auto line) { return line.size() > geometry.slot_size; }) -
        lines.begin());
    if (!send_slot_lines(producer, lines, next, longer, settings, progress)) return false;
    if (longer == lines.size()) return true;
    const std::string_view line = lines[longer];
    if (line.size() > geometry.max_message_size()) {
      std::cerr << "producer: line " << first_line_number + longer << " is " << line.size()
                << " bytes, larger than the queue's largest message of "
                << geometry.max_message_size()
                << " bytes; it and everything after it were not sent (a message may take a "
                   "quarter of the ring: create the queue with more --capacity or a larger "
                   "--slot-size)\n";
      progress.stop(kExitRejected, "rejected");
      return false;
    }
    if (settings.common.verbose) std::cerr << "Producer got message: " << line << "\n";
    if (!put_large(producer, std::as_bytes(std::span(line)), settings, progress)) return false;
    next = longer + 1;
  }
  return true;
}

void send_input(Producer& producer, int fd, const Settings& settings, Progress& progress) {
  LineSource source(fd, settings.input == "-" ? std::string("standard input")
                                               : "--input '" + settings.input + "'");
  std::vector<std::string_view> lines;
  while (!stop_requested()) {
    lines.clear();
    const std::size_t first_line_number = source.line_number();
    if (!source.next_lines(lines, 4 * settings.batch)) break;
    if (!send_lines(producer, lines, first_line_number, settings, progress)) break;
  }
  if (fd != STDIN_FILENO) ::close(fd);
  if (stop_requested()) progress.stop_on(Status::cancelled, "producer", settings.common.name);
}

// --count messages of a --size larger than a slot: one at a time, each in fragments.
void send_generated_large(Producer& producer, const Settings& settings, Progress& progress) {
  const message_format::Writer writer(settings.producer_id, settings.size);
  std::vector<std::byte> message(settings.size);
  for (std::uint64_t sequence = 0; sequence < settings.count; ++sequence) {
    writer.write(message, sequence);
    if (!put_large(producer, message, settings, progress)) return;
  }
}

void send_generated(Producer& producer, const Settings& settings, Progress& progress) {
  const Geometry& geometry = producer.geometry();
  const std::uint32_t slot_size = geometry.slot_size;
  if (settings.size > geometry.max_message_size()) {
    throw UsageError("--size " + std::to_string(settings.size) +
                     " is larger than the queue's largest message of " +
                     std::to_string(geometry.max_message_size()) + " bytes (a quarter of its ring)");
  }
  if (settings.size > slot_size) return send_generated_large(producer, settings, progress);
  const message_format::Writer writer(settings.producer_id, settings.size);
  // As many to a slot as fit: one stamp, and fewer cache lines, for several.
  const std::uint32_t per_slot =
      packing(settings) ? std::max(WriteBatch::packable(slot_size, settings.size), 1U) : 1;
  std::uint64_t sequence = 0;
  while (sequence < settings.count) {
    const std::uint64_t wanted = std::min<std::uint64_t>(settings.count - sequence, settings.batch);
    WriteBatch batch;
    if (!claim_or_stop(producer, batch, (wanted + per_slot - 1) / per_slot, settings, progress)) {
      return;
    }
    const std::uint64_t first = sequence;
    for (std::uint32_t i = 0; i < batch.size(); ++i) {
      const auto n = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(per_slot, wanted - (sequence - first)));
      const std::uint64_t slot_first = sequence;
      sequence += batch.append_many(
          i, settings.size, n,
          [&](std::span<std::byte> at, std::uint32_t k) { writer.write(at, slot_first + k); });
    }
    const std::uint64_t sent = sequence - first;
    if (!publish(producer, batch, sent, sent * settings.size, settings, progress)) return;
  }
}

// The documents' demo: random numbers between 1 and 100, each logged as it is produced.
void send_demo(Producer& producer, const Settings& settings, Progress& progress) {
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> number(1, 100);
  const std::uint64_t count = settings.count != 0 ? settings.count : 10;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string text = std::to_string(number(random));
    if (!settings.common.quiet) std::cerr << "Producer got message: " << text << "\n";
    WriteBatch batch;
    if (!claim_or_stop(producer, batch, 1, settings, progress)) return;
    std::memcpy(batch.buffer(0).data(), text.data(), text.size());
    batch.set_length(0, static_cast<std::uint32_t>(text.size()));
    if (!publish(producer, batch, 1, text.size(), settings, progress)) return;
  }
}

// Sends the --input lines, the --count generated messages, or the demo's.
void send(Producer& producer, int input_fd, const Settings& settings, Progress& progress) {
  if (!settings.input.empty()) {
    send_input(producer, input_fd, settings, progress);
  } else if (settings.size != 0) {
    send_generated(producer, settings, progress);
  } else {
    send_demo(producer, settings, progress);
  }
}

// Until --await-consumers N consumers are attached (or `until`): ok, timeout or cancelled. Looks
// every 100 ms; no futex moves when a consumer attaches.
Status wait_for_consumers_to_attach(const Producer& producer, std::uint32_t wanted,
                                    Clock::time_point until) {
  while (producer.consumers_attached() < wanted) {
    const auto now = Clock::now();
    if (now >= until) return Status::timeout;
    if (!pause_unless_stopped(std::min<Clock::duration>(kWaitSlice, until - now))) {
      return Status::cancelled;
    }
  }
  return Status::ok;
}

// Records how a wait for consumers ended; `what` names it in the outcome of a timeout.
void stop_on_consumer_wait(Status status, const char* what, const Settings& settings,
                           Progress& progress) {
  if (status == Status::timeout) {
    progress.stop(kExitTimeout, std::string("timeout waiting for ") + what);
  }
  progress.stop_on(status, "producer", settings.common.name);
}

// --await-consumers: holds every message back until the consumers are there. A consumer counts
// the producers it sees attached, so one that attached after a producer had left would wait
// for it for ever; held back, no producer can leave before all of them have attached.
void await_consumers(const Producer& producer, const Settings& settings, Progress& progress) {
  const Status status = progress.notice->run(
      settings.common.deadline(), WaitingFor::consumers_to_attach, [&](Clock::time_point until) {
        return wait_for_consumers_to_attach(producer, settings.await_consumers, until);
      });
  stop_on_consumer_wait(status, "consumers to attach", settings, progress);
}

void wait_for_consumers(Producer& producer, const Settings& settings, Progress& progress) {
  const Status status = progress.notice->run(
      settings.common.deadline(), WaitingFor::consumers_to_finish,
      [&](Clock::time_point until) { return producer.join(until); });
  stop_on_consumer_wait(status, "consumers to finish", settings, progress);
}

int run(int argc, char** argv) {
  po::options_description description("Options");
  add_common_options(description);
  description.add_options()
      ("input,i", po::value<std::string>(), "read lines from FILE, or '-' for standard input")
      ("count,c", po::value<std::string>(), "number of messages to generate (k/M/G suffixes)")
      ("size,s", po::value<std::string>(),
       "bytes per generated message, at least 16 (K/M suffixes)")
      ("producer-id", po::value<std::string>(), "id written into generated messages (default: pid)")
      ("delay", po::value<std::string>(), "seconds to wait after each message (demo pacing)")
      ("join", "before exiting, wait until consumers have finished every message we sent")
      ("await-consumers", po::value<std::string>(),
       "send nothing until this many consumers are attached, so that each of them counts us for "
       "its --expect-producers (at most --timeout)")
      ("batch", po::value<std::string>(), "messages per claim, 1-65536 (default 256)")
      ("progress", po::value<std::string>(),
       "keep '<producer id> <messages accepted>' up to date in this file (for kill tests)");
  po::variables_map values;
  if (!parse_command_line(argc, argv, "producer", kSynopsis, description, values)) return kExitOk;
  const Settings settings = read_settings(values);
  if (settings.common.remove) {
    return remove_queue("producer", settings.common.name, settings.common.quiet, false,
                        settings.common.config);
  }

  // Open the input and the --progress file before the queue, so that a bad path creates nothing.
  const int input_fd = settings.input.empty() ? -1 : open_input(settings.input);
  // Not in the demo, which logs every message itself, nor over lines being typed.
  const bool demo = settings.input.empty() && settings.size == 0;
  const bool typing = settings.input == "-" && isatty(STDIN_FILENO) != 0;
  Progress progress(!settings.common.quiet && !settings.common.verbose && !demo && !typing);
  if (!settings.progress_path.empty()) {
    progress.file = ProgressFile(settings.progress_path, settings.producer_id);
  }
  const auto& stop = install_stop_handlers();
  Producer producer(settings.common.name, settings.common.open_mode(), settings.common.config,
                    AttachOptions{settings.common.wait, &stop, 1});
  report_repairs("producer", settings.common, producer.reaped_at_attach(),
                 producer.replaced_abandoned());
  progress.notice.emplace(
      WaitFacts{"producer", settings.common.name, producer.created_queue(), settings.common.config,
                settings.await_consumers},
      !settings.common.quiet, progress.line);
  if (settings.await_consumers != 0) await_consumers(producer, settings, progress);
  Stopwatch stopwatch;
  if (!progress.stopped()) send(producer, input_fd, settings, progress);
  if (settings.join && !progress.stopped()) wait_for_consumers(producer, settings, progress);
  producer.close();

  progress.line.clear();
  RunStatistics stats{"producer", settings.common.name, progress.messages, progress.bytes,
                      stopwatch.seconds(), progress.outcome(), {}};
  if (!settings.common.quiet) std::cerr << summary_line(stats);
  if (!settings.common.json_path.empty()) write_json_file(stats, settings.common.json_path);
  return progress.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("producer", [&] { return run(argc, argv); });
}
