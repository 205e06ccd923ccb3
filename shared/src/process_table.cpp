#include "shmq/detail/process_table.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "shmq/detail/recovery.hpp"
#include "shmq/detail/ring.hpp"
#include "shmq/errors.hpp"

namespace shmq {
namespace {

struct ProcStat {
  char state = '?';
  std::uint64_t start_time = 0;
};

// Fields 3 (state) and 22 (start time) of /proc/<pid>/stat; nullopt-like {'?', 0} if unreadable.
// The command name (field 2) may hold spaces and parentheses, so parsing starts after the last ')'.
// Plain open/read into a stack buffer: a waiting process checks its peers ten times a second, and
// a stream (locale, allocations) cost more than the system calls.
ProcStat read_proc_stat(std::uint32_t pid) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%u/stat", pid);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char line[1024];  // the fields up to 22 fit easily; the command name is at most 16 bytes
  const ssize_t got = ::read(fd, line, sizeof line - 1);
  ::close(fd);
  if (got <= 0) return {};
  const std::string_view text(line, static_cast<std::size_t>(got));
  const auto close = text.rfind(')');
  if (close == std::string_view::npos || close + 2 >= text.size()) return {};
  ProcStat stat;
  std::size_t at = close + 2;
  for (int field = 3; field <= 22 && at < text.size(); ++field) {
    const std::size_t end = std::min(text.find(' ', at), text.size());
    if (field == 3) stat.state = text[at];
    if (field == 22) std::from_chars(text.data() + at, text.data() + end, stat.start_time);
    at = end + 1;
  }
  return stat;
}

// A zombie thread-group leader whose other threads still run is a live process.
bool has_live_threads(std::uint32_t pid) {
  std::error_code error;
  std::size_t threads = 0;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    (void)task;
    if (++threads > 1) return true;
  }
  return false;
}

}  // namespace

ProcessIdentity identity_of(std::uint32_t pid) { return {pid, read_proc_stat(pid).start_time}; }

ProcessIdentity current_process() { return identity_of(static_cast<std::uint32_t>(getpid())); }

bool is_alive(const ProcessIdentity& process) {
  if (process.pid == 0) return false;
  if (kill(static_cast<pid_t>(process.pid), 0) != 0 && errno == ESRCH) return false;
  const ProcStat stat = read_proc_stat(process.pid);
  if ((stat.state == 'Z' || stat.state == 'X') && !has_live_threads(process.pid)) {
    return false;  // exited, not yet reaped by its parent
  }
  // A pid we cannot read is given the benefit of the doubt, as is one whose start time its own
  // process could not read when it attached (no /proc there); another start time is a reuse.
  return stat.start_time == 0 || process.start_time == 0 || stat.start_time == process.start_time;
}

bool attachment_alive(const ProcessIdentity& process, LockProbe lock) {
  // No lock taken (start time 0: no /proc, see attach_without_lock) or none to probe: the pid and
  // start time are all there is, and a pid reused within the same tick passes for the attacher.
  if (lock == LockProbe::free && process.start_time != 0) return false;
  return is_alive(process);
}

namespace {

// A fault met while attaching, as the Error that constructors throw.
[[noreturn]] void throw_attach_error(const QueueFault& fault, const std::string& name) {
  const std::string queue = "queue '" + name + "'";
  switch (fault.status()) {
    case Status::timeout:
      throw Error(ErrorCode::timeout,
                  queue + ": " + fault.why() + " (a process stopped inside it?)");
    case Status::cancelled:
      throw Error(ErrorCode::cancelled, queue + ": " + fault.why());
    default:
      throw Error(ErrorCode::corrupt, queue + " is corrupt: " + fault.why() +
                                          "; remove it and create it again");
  }
}

}  // namespace

void write_note(layout::ProcessEntry& entry, std::string_view note) noexcept {
  for (std::size_t w = 0; w < layout::kNoteWords; ++w) {
    std::uint64_t word = 0;
    const std::size_t at = w * sizeof word;
    if (at < note.size())
      std::memcpy(&word, note.data() + at, std::min(sizeof word, note.size() - at));
    // relaxed: a display hint; a reader racing a rewrite may mix two notes, nothing worse.
    entry.note[w].store(word, std::memory_order_relaxed);
  }
}

std::string read_note(const layout::ProcessEntry& entry) {
  char bytes[layout::kNoteBytes];
  for (std::size_t w = 0; w < layout::kNoteWords; ++w) {
    // relaxed: see write_note().
    const std::uint64_t word = entry.note[w].load(std::memory_order_relaxed);
    std::memcpy(bytes + w * sizeof word, &word, sizeof word);
  }
  std::string note(bytes, strnlen(bytes, sizeof bytes));
  for (char& c : note) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return note;
}

Attachment::Attachment(Ring& ring, layout::Role role, bool single, const std::string& name,
                       Clock::time_point until, std::string_view note, bool owes_end)
    : ring_(ring), self_(current_process()), lock_(ring.file_descriptor()) {
  if (!lock_.usable()) attach_without_lock();  // no /proc/self/fd: no description of our own
  try {
    attach(role, single, name, until, note, owes_end);
  } catch (const QueueFault& fault) {
    throw_attach_error(fault, name);
  }
}

void Attachment::attach(layout::Role role, bool single, const std::string& name,
                        Clock::time_point until, std::string_view note, bool owes_end) {
  const char* role_name = layout::to_string(role);
  const ProcessIdentity& self = self_;
  auto& ever = role == layout::Role::producer ? ring_.header().membership.producers_ever
                                              : ring_.header().membership.consumers_ever;
  ring_.locked(until, [&] {
    reaped_ = Recovery(ring_).reap_dead_locked();
    if (single && ring_.attached(role) != 0) {
      throw Error(ErrorCode::role_taken,
                  "queue '" + name + "' is single-" + role_name + " and a live " + role_name +
                      " is attached; create the queue with --" + role_name + "s multi");
    }
    for (std::uint32_t i = 0; i < layout::kMaxProcesses; ++i) {
      layout::ProcessEntry& entry = ring_.entry(i);
      // relaxed: under the mutex, which orders entries between attachers and reapers.
      if (entry.pid.load(std::memory_order_relaxed) != 0 || !take_entry_lock(i)) continue;
      index_ = i;
      entry_ = &entry;
      producers_ = ring_.attached(layout::Role::producer);
      producers_ever_ = ring_.header().membership.producers_ever.load(std::memory_order_relaxed);
      // At the same instant as the count above: no producer can attach in between. Messages
      // another consumer took and has not finished (a dead one's, just reaped) are waiting too.
      items_waiting_ = ring_.items().value() != 0 || ring_.released() != ring_.taken();
      entry.role.store(static_cast<std::uint32_t>(role), std::memory_order_relaxed);
      entry.start_time.store(self.start_time, std::memory_order_relaxed);
      entry.messages.store(0, std::memory_order_relaxed);
      entry.held_count.store(0, std::memory_order_relaxed);
      write_note(entry, note);
      // relaxed: under the mutex, and before the release stores below, so a consumer that
      // counts us (or finds us gone) sees that an end is owed.
      if (owes_end) ring_.header().membership.end_owed.store(1, std::memory_order_relaxed);
      // release: the fields above are set before anyone sees the entry in use.
      entry.pid.store(self.pid, std::memory_order_release);
      // release, and after the entry is in use: whoever counts us here then finds us attached
      // (or gone again), never neither (see Consumer's end of stream).
      ever.fetch_add(1, std::memory_order_release);
      attached_ = true;
      return;
    }
    throw Error(ErrorCode::table_full, "queue '" + name + "' already has " +
                                           std::to_string(layout::kMaxProcesses) +
                                           " processes attached");
  });
}

// Before our pid is published in the entry: whoever sees the pid also finds the lock held.
bool Attachment::take_entry_lock(std::uint32_t index) noexcept {
  if (!lock_.usable()) return true;
  switch (lock_.try_lock(index)) {
    case EntryLock::Attempt::locked:
      return true;
    case EntryLock::Attempt::held_elsewhere:
      return false;  // a child its last owner forked still lives: a reaper would take us for dead
    case EntryLock::Attempt::failed:
      break;
  }
  attach_without_lock();
  return true;
}

// Checkers take an entry with start time 0 for one without a lock and judge it by its pid alone
// (as for an attacher that could not read its own /proc), so ours must say so.
void Attachment::attach_without_lock() noexcept {
  lock_.close();
  self_.start_time = 0;
}

Attachment::~Attachment() { detach(); }

bool Attachment::in_attaching_process() const noexcept {
  return static_cast<std::uint32_t>(getpid()) == self_.pid;
}

void Attachment::detach() noexcept {
  if (!attached_) return;
  attached_ = false;
  // A segment truncated under us (lost) has no entry left to retire, and maybe no mutex.
  if (in_attaching_process() && !ring_.lost()) {
    try {
      ring_.locked([&] {
        // An entry retired under us (see revoked()) may be another process's by now.
        if (!revoked()) Recovery(ring_).retire_locked(index_);
      });
    } catch (...) {
      // The mutex is unusable (the queue is corrupt): leave the entry for a reaper.
    }
  }
  // Only now: until the entry is retired, its lock says we live. (A reaper that finds the entry
  // left behind with its lock gone takes it for dead, as it should.)
  lock_.close();
}

}  // namespace shmq
