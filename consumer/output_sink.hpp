// Output of messages as lines to a file descriptor, with one writev() per flush. A large message
// is written straight from its slot (the kernel copies it once, or not at all for /dev/null);
// small messages, newlines and raw records are copied into a staging buffer first, because one
// iovec per 64-byte line costs the kernel more than the copy. flush() returns only when every
// byte has been written, so the consumer can release the batch (and its slots) afterwards.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "shmq/detail/short_bytes.hpp"

namespace shmq::consumer {

// flush() could not read a message it was to write in place: the pages under it are gone, which
// for a slot means the queue's file was truncated under us (the kernel reports EFAULT rather than
// raising SIGBUS). What came before it in the flush may have been written.
class UnreadableMessage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class OutputSink {
 public:
  // Messages at least this long are written from their slots: a copy would cost more than the
  // kernel's handling of one more iovec.
  static constexpr std::size_t kWriteInPlaceFrom = 512;

  // Owns nothing: `fd` stays open. `path` names it in error messages.
  OutputSink(int fd, std::string path);

  // A large `message` must stay valid until the next flush() returns; a small one is copied.
  // Inline: it runs once per message, and a small line that fits is one copy and one store.
  void write_line(std::span<const std::byte> message) { write_lines(std::span(&message, 1)); }
  // write_line() for each message of `messages` (a range of byte spans, such as a ReadBatch);
  // returns their bytes. The staging position stays in a register across the copies, which the
  // compiler cannot arrange across separate write_line() calls.
  template <class Messages>
  std::uint64_t write_lines(const Messages& messages) {
    std::uint64_t bytes = 0;
    char* const staging = staging_.get();
    std::size_t staged = staged_;
    for (const std::span<const std::byte> message : messages) {
      const std::size_t size = message.size();
      bytes += size;
      if (size < kWriteInPlaceFrom && size < kStagingSize - staged) {
        short_copy(staging + staged, message.data(), size);
        staging[staged + size] = '\n';
        staged += size + 1;
        continue;
      }
      staged_ = staged;
      write_line_slowly(message);
      staged = staged_;
    }
    staged_ = staged;
    return bytes;
  }
  // Copies `bytes`.
  void write_raw(std::span<const std::byte> bytes);
  // Empties the file if it is a regular file (a pipe or terminal has nothing to empty), as
  // O_TRUNC would have at open. Throws std::runtime_error if it cannot.
  void truncate();
  // Forgets everything pending, unwritten (what a full staging buffer wrote is gone already).
  void discard_pending() noexcept {
    vectors_.clear();
    staged_ = run_start_ = 0;
  }
  // Writes everything pending. Throws UnreadableMessage (see there), or std::runtime_error on an
  // I/O error.
  void flush();

 private:
  static constexpr std::size_t kStagingSize = std::size_t{1} << 16;

  void write_line_slowly(std::span<const std::byte> message);
  void stage(const char* data, std::size_t size);
  // Turns the staged bytes not yet covered by a vector into one.
  void close_run();
  void write_vectors();

  int fd_;
  std::string path_;
  std::unique_ptr<char[]> staging_;  // fixed size: vectors_ point into it
  std::size_t staged_ = 0;           // bytes of staging_ in use
  std::size_t run_start_ = 0;        // staged bytes from here on are in no vector yet
  std::vector<iovec> vectors_;       // what flush() writes, in order, before the open run
};

}  // namespace shmq::consumer
