// Exit codes shared by every shmq program (documented in --help and the README).
#pragma once

#include "shmq/errors.hpp"

namespace shmq::cli {

enum ExitCode : int {
  kExitOk = 0,        // done; for a consumer: end of stream reached
  kExitFailure = 1,   // a runtime failure: I/O error, unexpected system error
  kExitUsage = 2,     // bad command line
  kExitBadQueue = 3,  // the queue is missing, corrupt, incompatible, foreign, mismatched,
                      // has no room in /dev/shm, or was lost while in use
  kExitTimeout = 4,   // --timeout passed before the work was done
  kExitVerify = 5,    // consumer --verify found lost, duplicated, reordered or corrupt messages
  kExitRejected = 6,  // producer: an input message was larger than the slot size
  kExitInUse = 7,     // shmq remove: live processes are attached (and no --force)
};

// The exit code for a failure to open or attach to a queue; cancelled (a stop signal while
// waiting) is the signal's code instead (interrupted_exit_code()), which this cannot know.
constexpr int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::invalid_name:
      return kExitUsage;
    case ErrorCode::not_ready:
    case ErrorCode::not_found:
    case ErrorCode::already_exists:
    case ErrorCode::permission_denied:
    case ErrorCode::incompatible:
    case ErrorCode::corrupt:
    case ErrorCode::geometry_mismatch:
    case ErrorCode::role_taken:
    case ErrorCode::table_full:
    case ErrorCode::no_space:
      return kExitBadQueue;
    case ErrorCode::timeout:
      return kExitTimeout;
    case ErrorCode::system:
    case ErrorCode::cancelled:
      break;
  }
  return kExitFailure;
}

// Stopped by signal `signo` (SIGHUP, SIGINT, SIGTERM) after a clean shutdown: 128 + signo, as a
// shell reports a process the signal killed (129, 130, 143).
constexpr int exit_code_for_signal(int signo) {
  return 128 + signo;
}

inline constexpr const char* kExitCodeHelp =
    "Exit codes:\n"
    "  0    success (consumer: end of stream)\n"
    "  1    runtime failure (I/O error, system error, standard output cannot be written)\n"
    "  2    usage error\n"
    "  3    invalid queue (missing, corrupt, incompatible, foreign, not a regular file, geometry\n"
    "       or mode mismatch, permission denied (the line names the file's owner and mode), no\n"
    "       room in /dev/shm to create it, lost while in use; removing another user's file that\n"
    "       is no queue; shmq check: not healthy)\n"
    "  4    timeout (--timeout passed)\n"
    "  5    verification failed (consumer --verify)\n"
    "  6    message rejected: larger than the queue's slot size (producer)\n"
    "  7    queue in use: live processes attached (--remove, shmq remove without --force)\n"
    "  129  stopped by SIGHUP, 130 by SIGINT, 143 by SIGTERM (128 + the signal's number),\n"
    "       after a clean shutdown\n";

}  // namespace shmq::cli
