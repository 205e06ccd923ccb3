#include "options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "exit_codes.hpp"
#include "shmq/admin.hpp"
#include "shmq/errors.hpp"
#include "shmq/admin.hpp"
#include "shmq/inspect.hpp"
#include "shmq/version.hpp"
#include "signals.hpp"

namespace po = boost::program_options;

namespace shmq::cli {
namespace {

std::string pid_list(const std::vector<std::uint32_t>& pids) {
  std::string list;
  for (const auto pid : pids) list += (list.empty() ? "" : ", ") + std::to_string(pid);
  return list;
}

std::uint64_t parse_scaled(const std::string& text, const char* option, std::uint64_t k) {
  const auto bad = [&](const char* why) {
    return UsageError(std::string("--") + option + " '" + text + "': " + why);
  };
  if (text.empty() || text.front() < '0' || text.front() > '9') throw bad("not a positive number");
  errno = 0;
  char* end = nullptr;
  const unsigned long long number = std::strtoull(text.c_str(), &end, 10);
  if (errno == ERANGE) throw bad("too large");
  std::uint64_t multiplier = 1;
  const std::string suffix(end);
  if (suffix == "k" || suffix == "K") {
    multiplier = k;
  } else if (suffix == "m" || suffix == "M") {
    multiplier = k * k;
  } else if (suffix == "g" || suffix == "G") {
    multiplier = k * k * k;
  } else if (!suffix.empty()) {
    throw bad("unknown suffix (use K, M or G)");
  }
  if (number == 0) throw bad("must be greater than zero");
  if (number > UINT64_MAX / multiplier) throw bad("too large");
  return number * multiplier;
}

unsigned parse_mode(const std::string& text) {
  const auto bad = [&](const char* why) { return UsageError("--mode '" + text + "': " + why); };
  if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos) {
    throw bad("expected octal permission bits such as 0600 or 0660");
  }
  const auto mode = static_cast<unsigned>(std::stoul(text, nullptr, 8));
  if ((mode & ~0666U) != 0) throw bad("only read and write bits (at most 0666) are allowed");
  if ((mode & 0600U) != 0600U) throw bad("the owner needs read and write (0600)");
  return mode;
}

std::uint32_t at_most(std::uint64_t value, const char* option, std::uint32_t max) {
  if (value > max) {
    throw UsageError(std::string("--") + option + " must be at most " + std::to_string(max));
  }
  return static_cast<std::uint32_t>(value);
}

std::optional<bool> parse_multiplicity(const po::variables_map& values, const char* option) {
  if (!values.count(option)) return std::nullopt;
  const auto& text = values[option].as<std::string>();
  if (text == "single") return false;
  if (text == "multi") return true;
  throw UsageError(std::string("--") + option + " must be 'single' or 'multi', not '" + text + "'");
}

int exit_code_for_failure(ErrorCode code) {
  return code == ErrorCode::cancelled ? interrupted_exit_code() : exit_code_for(code);
}

// Names the words that are no option by their place in `order`; a word beyond it (or any word,
// without an order) is a UsageError. Boost would skip a word it has no place for in silence.
void name_positionals(po::parsed_options& parsed, const po::positional_options_description* order) {
  unsigned position = 0;
  for (auto& option : parsed.options) {
    if (!option.string_key.empty()) continue;  // an option, named by its key
    const std::string word = option.value.empty() ? std::string() : option.value.front();
    if (order == nullptr || position >= order->max_total_count()) {
      throw UsageError("unexpected argument '" + word + "'");
    }
    option.string_key = order->name_for_position(position++);
  }
}

int run_body(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    std::cerr << program << ": " << e.what() << " (see --help)\n";
    return kExitUsage;
  } catch (const Error& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return exit_code_for_failure(e.code());
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace

std::uint64_t parse_size(const std::string& text, const char* option) {
  return parse_scaled(text, option, 1024);
}

std::uint64_t parse_count(const std::string& text, const char* option) {
  return parse_scaled(text, option, 1000);
}

std::uint32_t parse_count_up_to(const std::string& text, const char* option, std::uint32_t max) {
  return at_most(parse_count(text, option), option, max);
}

std::uint32_t parse_id(const std::string& text, const char* option) {
  if (text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoull(text) >= UINT32_MAX) {
    throw UsageError(std::string("--") + option + " '" + text + "': expected a number from 0 to " +
                     std::to_string(UINT32_MAX - 1));
  }
  return static_cast<std::uint32_t>(std::stoull(text));
}

std::chrono::nanoseconds parse_seconds(const std::string& text, const char* option) {
  errno = 0;
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(seconds) ||
      seconds <= 0 || seconds > 1e9) {
    throw UsageError(std::string("--") + option + " '" + text +
                     "': expected a number of seconds greater than zero");
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(seconds * 1e9));
}

Clock::time_point CommonOptions::deadline() const {
  return timeout ? Clock::now() + *timeout : Clock::time_point::max();
}

void add_common_options(po::options_description& description) {
  description.add_options()
      ("name,n", po::value<std::string>()->default_value("shmq"),
       "queue name: 1-200 of [A-Za-z0-9._-], not starting with '.'")
      ("capacity", po::value<std::string>(),
       "slots in the ring when creating (default 1024); must match an existing queue if given")
      ("slot-size", po::value<std::string>(),
       "payload bytes per slot when creating, K/M suffixes (default 1K); must match if given")
      ("producers", po::value<std::string>(),
       "multi|single: when creating, whether any number of producers may attach (default "
       "multi) or only one (a second is refused)")
      ("consumers", po::value<std::string>(),
       "multi|single: when creating, whether any number of consumers may attach (default "
       "multi) or only one (a second is refused)")
      ("mode", po::value<std::string>(),
       "permission bits of a queue we create, in octal, and the most an existing queue may grant "
       "(default 0600; 0660 shares it with the group)")
      ("allow-owner", po::value<std::string>(),
       "also accept a queue created by this uid (default: only our own)")
      ("no-create", "attach only to an existing queue: exit 3 if there is none (a mistyped --name "
                    "creates nothing)")
      ("timeout", po::value<std::string>(),
       "give up after this many seconds of waiting for the queue or a peer (exit 4)")
      ("wait", po::value<std::string>()->default_value("block"),
       "block (poll up to 200 us, then sleep) or spin (poll with sched_yield, never sleep)")
      ("quiet,q", "print no statistics and no progress line")
      ("verbose,v", "log every message")
      ("json", po::value<std::string>(),
       "write final statistics as JSON to this file, or to standard output if '-'")
      ("remove", "remove the named queue and exit (refused, exit 7, while processes are attached; "
                 "exit 3 for another user's file that is no queue)")
      ("help,h", "show this help")
      ("version", "show the version");
}

CommonOptions read_common_options(const po::variables_map& values) {
  CommonOptions options;
  options.name = values["name"].as<std::string>();
  if (values.count("capacity")) {
    options.config.capacity =
        parse_count_up_to(values["capacity"].as<std::string>(), "capacity", 1U << 24);
  }
  if (values.count("slot-size")) {
    options.config.slot_size = at_most(
        parse_size(values["slot-size"].as<std::string>(), "slot-size"), "slot-size", 64U << 20);
  }
  if (values.count("mode")) {
    options.config.permissions = parse_mode(values["mode"].as<std::string>());
  }
  if (values.count("allow-owner")) {
    options.config.allowed_owner = parse_id(values["allow-owner"].as<std::string>(), "allow-owner");
  }
  options.config.multi_producer = parse_multiplicity(values, "producers");
  options.config.multi_consumer = parse_multiplicity(values, "consumers");
  if (values.count("timeout")) {
    options.timeout = parse_seconds(values["timeout"].as<std::string>(), "timeout");
    options.config.ready_timeout = std::min<std::chrono::milliseconds>(
        options.config.ready_timeout,
        std::chrono::duration_cast<std::chrono::milliseconds>(*options.timeout) +
            std::chrono::milliseconds(1));
  }
  const auto& wait = values["wait"].as<std::string>();
  if (wait == "spin") {
    options.wait = WaitStrategy::spin;
  } else if (wait != "block") {
    throw UsageError("--wait must be 'block' or 'spin', not '" + wait + "'");
  }
  options.quiet = values.count("quiet") != 0;
  options.verbose = values.count("verbose") != 0;
  if (options.quiet && options.verbose) throw UsageError("--quiet and --verbose contradict");
  if (values.count("json")) options.json_path = values["json"].as<std::string>();
  options.remove = values.count("remove") != 0;
  options.no_create = values.count("no-create") != 0;
  return options;
}

bool parse_command_line(int argc, char** argv, const char* program, const char* synopsis,
                        const po::options_description& description, po::variables_map& values,
                        const Positionals& positionals) {
  po::options_description all;
  all.add(description);
  if (positionals.options != nullptr) all.add(*positionals.options);
  po::command_line_parser parser(argc, argv);
  parser.options(all);
  try {
    po::parsed_options parsed = parser.run();
    name_positionals(parsed, positionals.order);
    po::store(parsed, values);
    po::notify(values);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  if (values.count("help")) {
    std::cout << "Usage: " << program << positionals.usage << " [options]\n"
              << synopsis << "\n" << description << "\n" << kExitCodeHelp;
    return false;
  }
  if (values.count("version")) {
    std::cout << program << " (shmq) " << kVersion << "\n";
    return false;
  }
  return true;
}

int run_guarded(const char* program, const std::function<int()>& body) {
  return check_standard_output(program, run_body(program, body));
}

int check_standard_output(const char* program, int exit_code) {
  errno = 0;
  std::cout.flush();
  const bool flushed = std::fflush(stdout) == 0;
  const int error = errno;
  if (flushed && std::cout && std::ferror(stdout) == 0) return exit_code;
  std::cerr << program << ": cannot write to standard output"
            << (error != 0 ? std::string(": ") + std::strerror(error) : std::string()) << "\n";
  return exit_code == kExitOk ? kExitFailure : exit_code;
}

void report_repairs(const char* program, const CommonOptions& options, std::uint32_t reaped,
                    bool replaced_abandoned) {
  if (options.quiet) return;
  if (replaced_abandoned) {
    std::cerr << program << ": queue '" << options.name
              << "' was left half-created by a process that died; created it anew\n";
  }
  if (reaped != 0) {
    std::cerr << program << ": queue '" << options.name << "': repaired what " << reaped
              << " dead process(es) left (unfinished messages are delivered again)\n";
  }
}

int remove_queue(const char* program, const std::string& name, bool quiet, bool force,
                 const QueueConfig& config) {
  // Asked even when forced: another program's file, or no regular file, is never removed.
  const auto live = live_processes(name, config);
  if (!live.empty() && !force) {
    std::cerr << program << ": queue '" << name << "' has live processes attached (pid "
              << pid_list(live) << "); stop them first, or use shmq remove --force\n";
    return kExitInUse;
  }
  if (!shmq::remove_queue(name)) {
    std::cerr << program << ": queue '" << name << "' does not exist\n";
    return kExitBadQueue;
  }
  if (!quiet) std::cerr << program << ": removed queue '" << name << "'\n";
  return kExitOk;
}

}  // namespace shmq::cli
