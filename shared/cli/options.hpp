// Command-line options every shmq program shares, and the error-to-exit-code mapping.
#pragma once

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "shmq/attach_options.hpp"
#include "shmq/geometry.hpp"

namespace shmq::cli {

// A bad command line: reported as one line, exit code kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "64", "4K", "2M", "1G" (binary multiples). Zero, negatives, junk and overflow are UsageErrors.
std::uint64_t parse_size(const std::string& text, const char* option);
// "1000", "10k", "5M", "1G" (decimal multiples). Same rules as parse_size.
std::uint64_t parse_count(const std::string& text, const char* option);
// parse_count() of at most `max`.
std::uint32_t parse_count_up_to(const std::string& text, const char* option, std::uint32_t max);
// A plain decimal id or uid, 0 to 2^32-2 (2^32-1 stands for "none" in places).
std::uint32_t parse_id(const std::string& text, const char* option);
// Seconds as a decimal ("0.5", "30"); must be finite and > 0.
std::chrono::nanoseconds parse_seconds(const std::string& text, const char* option);

struct CommonOptions {
  std::string name;
  QueueConfig config;
  std::optional<std::chrono::nanoseconds> timeout;
  WaitStrategy wait = WaitStrategy::block;
  bool quiet = false;
  bool verbose = false;
  std::string json_path;
  bool remove = false;
  bool no_create = false;

  // The deadline for the whole run, from now.
  [[nodiscard]] Clock::time_point deadline() const;
  // How to open the queue: attach only with --no-create, else create it if it does not exist.
  [[nodiscard]] OpenMode open_mode() const noexcept {
    return no_create ? OpenMode::open_only : OpenMode::open_or_create;
  }
};

// Adds --name, --capacity, --slot-size, --producers, --consumers, --mode, --allow-owner,
// --no-create, --timeout, --wait, --quiet, --verbose, --json, --remove, --help, --version.
void add_common_options(boost::program_options::options_description& description);
// Reads them back, validated. Throws UsageError.
CommonOptions read_common_options(const boost::program_options::variables_map& values);

// Positional arguments (shmq COMMAND NAME): their usage words, their options (left out of the
// --help list) and their order.
struct Positionals {
  const char* usage = "";
  const boost::program_options::options_description* options = nullptr;
  const boost::program_options::positional_options_description* order = nullptr;
};

// Parses argv against `description`; prints --help / --version itself and returns false then.
// A word that is no option and has no place in `positionals` is a UsageError.
bool parse_command_line(int argc, char** argv, const char* program, const char* synopsis,
                        const boost::program_options::options_description& description,
                        boost::program_options::variables_map& values,
                        const Positionals& positionals = {});

// Runs a program body and turns every exception into a one-line message and an exit code;
// then check_standard_output().
int run_guarded(const char* program, const std::function<int()>& body);
// Flushes standard output; if that or an earlier write failed, says so on stderr in one line
// and turns a successful `exit_code` into kExitFailure (another failure's code stands).
int check_standard_output(const char* program, int exit_code);

// Tells the operator, on stderr, about repairs made while attaching (unless quiet).
void report_repairs(const char* program, const CommonOptions& options, std::uint32_t reaped,
                    bool replaced_abandoned);

// Removes a queue (--remove, shmq remove) and reports what happened. Refused with kExitInUse
// while live processes are attached, unless `force`. A broken queue is removed if it is ours (or
// config.allowed_owner's); another user's file that is no queue, or no regular file, is refused.
int remove_queue(const char* program, const std::string& name, bool quiet, bool force,
                 const QueueConfig& config = {});

}  // namespace shmq::cli
