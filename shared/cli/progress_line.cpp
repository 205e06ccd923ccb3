#include "progress_line.hpp"

#include <unistd.h>

#include <sstream>

#include "statistics.hpp"

namespace shmq::cli {
namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(250);
constexpr const char* kEraseLine = "\r\033[K";

void write_all(const std::string& text) noexcept {
  const char* data = text.data();
  std::size_t left = text.size();
  while (left != 0) {
    const ssize_t n = ::write(STDERR_FILENO, data, left);
    if (n <= 0) return;  // a progress line is not worth an error
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

ProgressLine::ProgressLine(std::string role, bool wanted)
    : role_(std::move(role)), enabled_(wanted && isatty(STDERR_FILENO) != 0) {
  last_time_ = std::chrono::steady_clock::now();
}

ProgressLine::~ProgressLine() {
  clear();
}

void ProgressLine::draw(std::uint64_t messages, std::uint64_t bytes, std::uint32_t depth) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - last_time_).count();
  const double rate = seconds > 0 ? static_cast<double>(messages - last_messages_) / seconds : 0;
  std::ostringstream line;
  line << kEraseLine << role_ << ": " << counted(messages, "message") << ", "
       << scaled(static_cast<double>(bytes), "B") << ", " << scaled(rate, " msg/s")
       << ", ring depth " << depth;
  write_all(line.str());  // one write: the line never tears
  drawn_ = true;
  next_ = now + kRedrawEvery;
  last_time_ = now;
  last_messages_ = messages;
}

void ProgressLine::clear() noexcept {
  if (!drawn_) return;
  write_all(kEraseLine);
  drawn_ = false;
}

}  // namespace shmq::cli
