#include "line_source.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace shmq::producer {

LineSource::LineSource(int fd, std::string name, std::size_t block_size)
    : fd_(fd), name_(std::move(name)), buffer_(block_size, '\0') {}

bool LineSource::next_lines(std::vector<std::string_view>& lines, std::size_t max) {
  for (;;) {
    const std::size_t before = lines.size();
    while (lines.size() - before < max) {
      const void* newline = std::memchr(buffer_.data() + begin_, '\n', end_ - begin_);
      if (newline == nullptr) break;
      const auto at = static_cast<std::size_t>(static_cast<const char*>(newline) - buffer_.data());
      lines.emplace_back(buffer_.data() + begin_, at - begin_);
      begin_ = at + 1;
      ++line_number_;
    }
    if (lines.size() != before) return true;
    if (eof_) {
      if (begin_ == end_) return false;
      lines.emplace_back(buffer_.data() + begin_, end_ - begin_);  // last line, no newline
      begin_ = end_;
      ++line_number_;
      return true;
    }
    if (!refill()) return false;
  }
}

bool LineSource::refill() {
  // Keep the partial line, move it to the front, and grow if it fills the whole buffer.
  std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  for (;;) {
    const ssize_t got = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (got > 0) {
      end_ += static_cast<std::size_t>(got);
      return true;
    }
    if (got == 0) {
      eof_ = true;
      return true;
    }
    if (errno == EINTR) return false;  // the caller checks for a stop request
    throw std::runtime_error("cannot read " + name_ + ": " + std::strerror(errno));
  }
}

}  // namespace shmq::producer
