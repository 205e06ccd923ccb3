// Output of messages as lines to a file descriptor. Lines are written straight from the queue's
// slots with writev() (the message, then a newline), so a message is copied once, by the kernel,
// or not at all for /dev/null. flush() returns only when every byte has been written, so the
// consumer can release the batch (and its slots) afterwards.
#pragma once

#include <sys/uio.h>

#include <span>
#include <string>
#include <vector>

namespace shmq::consumer {

class OutputSink {
 public:
  // Owns nothing: `fd` stays open. `path` names it in error messages.
  OutputSink(int fd, std::string path);

  // `message` must stay valid until flush() returns.
  void write_line(std::span<const std::byte> message);
  // Copies `bytes` into the sink's own buffer.
  void write_raw(std::span<const std::byte> bytes);
  // Writes everything pending; throws std::runtime_error on an I/O error.
  void flush();

 private:
  void write_all(const char* data, std::size_t size);
  void write_vectors();

  int fd_;
  std::string path_;
  std::vector<char> buffer_;    // write_raw()
  std::vector<iovec> vectors_;  // write_line(): pieces of the queue's slots and newlines
};

}  // namespace shmq::consumer
