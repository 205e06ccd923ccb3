// A live progress line on standard error, like pv's: messages, bytes, current rate, ring depth.
// Drawn only when standard error is a terminal; in a pipe, a file or a CI log it never appears.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace shmq::cli {

class ProgressLine {
 public:
  // Shown only if `wanted` (not --quiet, not --verbose) and standard error is a terminal.
  ProgressLine(std::string role, bool wanted);
  ~ProgressLine();  // erases the line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Whether a redraw is due: the first call at once, then every 250 ms. Cheap when disabled.
  [[nodiscard]] bool due() const noexcept {
    return enabled_ && std::chrono::steady_clock::now() >= next_;
  }
  void draw(std::uint64_t messages, std::uint64_t bytes, std::uint32_t depth);
  // Erases the line, so the final summary starts on a clean one.
  void clear() noexcept;

 private:
  std::string role_;
  bool enabled_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point next_{};
  std::chrono::steady_clock::time_point last_time_{};
  std::uint64_t last_messages_ = 0;
};

}  // namespace shmq::cli
