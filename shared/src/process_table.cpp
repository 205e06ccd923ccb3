#include "shmq/process_table.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "shmq/errors.hpp"

namespace shmq {
namespace {

constexpr std::uint64_t kOneAttached = 1;
constexpr std::uint64_t kOneEver = std::uint64_t{1} << 32;

// Field 22 of /proc/<pid>/stat; 0 if the process is gone. The command name (field 2) may hold
// spaces and parentheses, so parsing starts after the last ')'.
std::uint64_t start_time_of(std::uint32_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::stoull(field);
  }
  return 0;
}

}  // namespace

ProcessIdentity current_process() {
  const auto pid = static_cast<std::uint32_t>(getpid());
  return {pid, start_time_of(pid)};
}

bool is_alive(const ProcessIdentity& process) {
  if (process.pid == 0) return false;
  if (kill(static_cast<pid_t>(process.pid), 0) != 0 && errno == ESRCH) return false;
  const std::uint64_t start = start_time_of(process.pid);
  // A pid we cannot read is given the benefit of the doubt; a different start time is a reuse.
  return start == 0 || start == process.start_time;
}

Attachment::Attachment(layout::Header& header, layout::Role role, bool single,
                       const std::string& name)
    : header_(header), role_(role) {
  const char* role_name = role == layout::Role::producer ? "producer" : "consumer";
  auto& word = membership();
  // relaxed: a first guess for the CAS, which carries the ordering.
  std::uint64_t current = word.load(std::memory_order_relaxed);
  do {
    if (single && MembershipCount::decode(current).attached != 0) {
      throw Error(ErrorCode::role_taken,
                  "queue '" + name + "' is single-" + role_name + " and already has a " +
                      role_name + " attached; create it with --" + role_name + "s multi");
    }
    // acq_rel: acquire sees what earlier members did; release publishes our arrival to
    // consumers deciding end of stream.
  } while (!word.compare_exchange_weak(current, current + kOneAttached + kOneEver,
                                       std::memory_order_acq_rel, std::memory_order_relaxed));
  before_us_ = MembershipCount::decode(current);
  attached_ = true;

  const ProcessIdentity self = current_process();
  for (std::uint32_t i = 0; i < layout::kMaxProcesses; ++i) {
    std::uint32_t free_pid = 0;
    // acquire: we own the entry after this CAS and may fill it in.
    if (header_.processes[i].pid.compare_exchange_strong(free_pid, self.pid,
                                                         std::memory_order_acquire)) {
      index_ = i;
      has_entry_ = true;
      // relaxed: monitoring fields; readers check the pid again after reading them.
      entry().role.store(static_cast<std::uint32_t>(role), std::memory_order_relaxed);
      entry().start_time.store(self.start_time, std::memory_order_relaxed);
      entry().messages.store(0, std::memory_order_relaxed);
      return;
    }
  }
  detach();
  throw Error(ErrorCode::table_full, "queue '" + name + "' already has " +
                                         std::to_string(layout::kMaxProcesses) +
                                         " processes attached");
}

Attachment::~Attachment() { detach(); }

std::atomic<std::uint64_t>& Attachment::membership() const noexcept {
  return role_ == layout::Role::producer ? header_.membership.producers
                                         : header_.membership.consumers;
}

bool Attachment::detach() noexcept {
  if (!attached_) return false;
  attached_ = false;
  if (has_entry_) {
    has_entry_ = false;
    // relaxed: clearing monitoring fields; the pid store below releases the entry.
    entry().role.store(0, std::memory_order_relaxed);
    // release: the entry's fields are reset before another process can claim it.
    entry().pid.store(0, std::memory_order_release);
  }
  // seq_cst: everything we published happens before a consumer sees us gone (end of stream), and
  // the following wake-up's sleeper check must not move above it.
  membership().fetch_sub(kOneAttached, std::memory_order_seq_cst);
  return true;
}

}  // namespace shmq
