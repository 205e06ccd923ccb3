// Reads newline-separated lines from a file descriptor in large blocks and hands them out as views
// (without the newline), many at a time, so that a batch of lines costs one read().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace shmq::producer {

class LineSource {
 public:
  // Takes ownership of nothing: `fd` stays open after the source is gone. `name` is what a read
  // error calls the input ("standard input", "--input 'x'").
  LineSource(int fd, std::string name, std::size_t block_size = 1 << 20);

  // Appends up to `max` complete lines to `lines`. Reads more input only if no complete line is
  // buffered, so views handed out earlier stay valid until the next call that returns them
  // empty-handed. Returns false at end of input (after the last line, which may lack a newline)
  // or when interrupted by a signal with nothing buffered. Throws std::runtime_error on a read
  // error.
  bool next_lines(std::vector<std::string_view>& lines, std::size_t max);

  // 1-based number of the line that next_lines() will return next.
  [[nodiscard]] std::size_t line_number() const noexcept { return line_number_; }

 private:
  bool refill();

  int fd_;
  std::string name_;
  std::string buffer_;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t end_ = 0;    // one past the last valid byte
  std::size_t line_number_ = 1;
  bool eof_ = false;
};

}  // namespace shmq::producer
