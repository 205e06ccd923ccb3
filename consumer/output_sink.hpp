// Buffered output of messages as lines to a file descriptor. flush() returns only when every byte
// has been written, so the consumer can release a batch knowing it is out of its hands.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace shmq::consumer {

class OutputSink {
 public:
  // Owns nothing: `fd` stays open. `path` names it in error messages.
  OutputSink(int fd, std::string path);

  void write_line(std::span<const std::byte> message);
  void write_raw(std::span<const std::byte> bytes);
  // Writes everything buffered; throws std::runtime_error on an I/O error.
  void flush();

 private:
  int fd_;
  std::string path_;
  std::vector<char> buffer_;
};

}  // namespace shmq::consumer
