// Errors and statuses.
//
// Opening or creating a queue throws shmq::Error (one type, a code a program can switch on, the
// errno that caused it, a message a person can act on). Nothing else throws it: put/get and
// friends return a Status (see the contract at the top of producer.hpp and consumer.hpp).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shmq {

enum class ErrorCode : std::uint8_t {
  invalid_argument,   // a parameter out of range (capacity 0, slot size too large, ...)
  invalid_name,       // a queue name outside the documented character set or length
  not_found,          // open_only and no such queue
  already_exists,     // create_only and the queue exists
  permission_denied,  // the segment belongs to someone else or has unexpected mode bits
  not_ready,          // the creator never finished initialising the segment (it may have died)
  incompatible,       // another layout version, or not an shmq segment at all
  corrupt,            // a header field is impossible or the segment size does not match it
  geometry_mismatch,  // an explicit capacity / slot size / mode differs from the existing queue
  role_taken,         // a second producer (consumer) on a single-producer (consumer) queue
  table_full,         // no free entry in the attached-process table
  system,             // an operating-system call failed; errno says why
  no_space,           // /dev/shm (or the memory limit) has no room for the queue being created
  timeout,            // attaching: the queue's mutex stayed held past the deadline
  cancelled,          // attaching: the stop flag was raised while waiting for the mutex
};

[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, int sys_errno = 0);

  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  [[nodiscard]] int sys_errno() const noexcept { return sys_errno_; }

 private:
  ErrorCode code_;
  int sys_errno_;
};

// Result of a hot-path call. Never thrown.
enum class Status : std::uint8_t {
  ok,         // done
  full,       // try_put: no free slot right now
  empty,      // try_get: no message right now
  timeout,    // the deadline passed first
  end_of_stream,  // consumer: every producer has detached and the ring is drained
  too_big,    // the message is larger than the queue's slot size; nothing was written
  cancelled,  // the stop flag given at attach time was raised while waiting
  corrupt,    // the segment holds something impossible; the queue should not be used further
  lost,  // another process truncated the segment under us, or retired our entry as dead while we
         // live (it cannot see us: another PID namespace); this handle can do nothing more
};

[[nodiscard]] std::string_view to_string(Status status) noexcept;

}  // namespace shmq
