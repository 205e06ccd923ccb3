// Output of messages as lines to a file descriptor, with one writev() per flush. A large message
// is written straight from its slot (the kernel copies it once, or not at all for /dev/null);
// small messages, newlines and raw records are copied into a staging buffer first, because one
// iovec per 64-byte line costs the kernel more than the copy. flush() returns only when every
// byte has been written, so the consumer can release the batch (and its slots) afterwards.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace shmq::consumer {

class OutputSink {
 public:
  // Owns nothing: `fd` stays open. `path` names it in error messages.
  OutputSink(int fd, std::string path);

  // A large `message` must stay valid until the next flush() returns; a small one is copied.
  void write_line(std::span<const std::byte> message);
  // Copies `bytes`.
  void write_raw(std::span<const std::byte> bytes);
  // Writes everything pending; throws std::runtime_error on an I/O error.
  void flush();

 private:
  void stage(const char* data, std::size_t size);
  void write_vectors();

  int fd_;
  std::string path_;
  std::unique_ptr<char[]> staging_;  // fixed size: vectors_ point into it
  std::size_t staged_ = 0;           // bytes of staging_ in use
  std::vector<iovec> vectors_;       // what flush() writes, in order
};

}  // namespace shmq::consumer
