// The attached-process table and the membership counts in the header.
//
// Each attached producer or consumer claims one entry (pid, role, process start time) with a CAS
// on the pid word, so that monitoring and liveness checks can tell who is there; a reused pid is
// told apart by its start time.
#pragma once

#include <cstdint>
#include <string>

#include "shmq/layout.hpp"

namespace shmq {

struct ProcessIdentity {
  std::uint32_t pid = 0;
  std::uint64_t start_time = 0;  // clock ticks after boot (/proc/<pid>/stat field 22)
};

[[nodiscard]] ProcessIdentity current_process();
// Whether a process with this pid and start time is still running (a stopped one counts as alive).
[[nodiscard]] bool is_alive(const ProcessIdentity& process);

// A membership word: (processes ever attached << 32) | processes attached now.
struct MembershipCount {
  std::uint32_t attached = 0;
  std::uint32_t ever = 0;
  static MembershipCount decode(std::uint64_t word) {
    return {static_cast<std::uint32_t>(word), static_cast<std::uint32_t>(word >> 32)};
  }
};

// One attachment of this process to a queue in a role; detaches when destroyed.
class Attachment {
 public:
  // Throws shmq::Error(role_taken) if `single` and the role already has a member, or
  // (table_full) if every entry is taken.
  Attachment(layout::Header& header, layout::Role role, bool single, const std::string& name);
  ~Attachment();
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

  [[nodiscard]] std::uint32_t index() const noexcept { return index_; }
  [[nodiscard]] layout::ProcessEntry& entry() const noexcept { return header_.processes[index_]; }
  // The role's membership as it was the moment we joined (our own join not included).
  [[nodiscard]] MembershipCount before_us() const noexcept { return before_us_; }
  // Leaves the role now (idempotent); returns true if this call did it.
  bool detach() noexcept;

 private:
  std::atomic<std::uint64_t>& membership() const noexcept;

  layout::Header& header_;
  layout::Role role_;
  std::uint32_t index_ = 0;
  MembershipCount before_us_{};
  bool attached_ = false;
  bool has_entry_ = false;
};

}  // namespace shmq
