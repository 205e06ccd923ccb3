// Final statistics of a producer or consumer run: one human line on stderr, JSON for machines.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace shmq::cli {

struct RunStatistics {
  std::string role;  // "producer" or "consumer"
  std::string name;  // queue name
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;
  std::string outcome = "ok";  // ok, end-of-stream, timeout, interrupted, ...
  // Extra integer fields (verification counts, ...), in order.
  std::vector<std::pair<std::string, std::uint64_t>> extra;

  [[nodiscard]] double messages_per_second() const;
  [[nodiscard]] double megabytes_per_second() const;  // 1 MB = 10^6 bytes
};

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// counted(1, "message") -> "1 message", counted(3, "message") -> "3 messages"
[[nodiscard]] std::string counted(std::uint64_t n, const char* noun);

// scaled(1234567, "B") -> "1.23 MB", scaled(1234, " msg/s") -> "1.23 k msg/s"
[[nodiscard]] std::string scaled(double value, const char* unit);

// "consumer: 1000000 messages, 64.00 MB in 0.52 s: 1.92 M msg/s, 123.08 MB/s (end-of-stream)\n",
// one string so that one write() puts it on the terminal whole.
[[nodiscard]] std::string summary_line(const RunStatistics& stats);
// One JSON object on a line, keys as the README's "JSON output" lists them: role, name, messages,
// bytes, seconds, msgs_per_sec, mb_per_sec, outcome, then `extra`, then schema_version.
[[nodiscard]] std::string to_json(const RunStatistics& stats);
// Writes to_json() to `path`, or to standard output if it is "-"; throws std::runtime_error if
// it cannot write the file.
void write_json_file(const RunStatistics& stats, const std::string& path);

}  // namespace shmq::cli
