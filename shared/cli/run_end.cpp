#include "run_end.hpp"

#include <iostream>

#include "signals.hpp"

namespace shmq::cli {

void RunEnd::stop(int exit_code, std::string outcome) {
  if (stopped()) return;
  exit_code_ = exit_code;
  outcome_ = std::move(outcome);
}

void RunEnd::stop_on(Status status, const char* program, const std::string& queue) {
  if (stopped()) return;
  switch (status) {
    case Status::timeout:
      stop(kExitTimeout, "timeout");
      return;
    case Status::cancelled:
      stop(interrupted_exit_code(), "interrupted");
      return;
    case Status::lost:
      std::cerr << program << ": queue '" << queue
                << "' was lost while in use: its file was truncated by another process, or had "
                   "a page /dev/shm could not supply, or our entry was retired by a process that "
                   "cannot see us (another PID namespace); stopping\n";
      stop(kExitBadQueue, "queue lost");
      return;
    case Status::corrupt:
      std::cerr << program << ": queue '" << queue
                << "' is corrupt (an impossible slot, process entry or mutex); stopping: remove "
                   "it and create it again\n";
      stop(kExitBadQueue, "corrupt queue");
      return;
    default:  // ok, end_of_stream, empty, full, too_big: not a reason to stop by themselves
      return;
  }
}

}  // namespace shmq::cli
