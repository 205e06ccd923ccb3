// Says once, on a terminal, what a program is waiting for when a wait goes on: a blank terminal
// looks hung, and a mistyped --name looks like a quiet queue. "consumer: waiting for a producer
// on new queue 'jobz' (created now; --no-create attaches only to an existing one)".
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "shmq/attach_options.hpp"
#include "shmq/errors.hpp"
#include "shmq/geometry.hpp"

namespace shmq::cli {

class ProgressLine;

// What the notice says: the roles in a queue as a program sees them just then.
struct WaitFacts {
  std::string program;  // "producer" or "consumer"
  std::string queue;
  bool created = false;  // this program created the queue
  QueueConfig config;    // whose queue we may read (--allow-owner)
  std::uint32_t await_consumers = 0;  // producer --await-consumers N
};

// Which wait a program is in, for the notice's words.
enum class WaitingFor : std::uint8_t { messages, room, consumers_to_attach, consumers_to_finish };

// The notice's line, read from the queue (shmq/inspect.hpp) just then, without a newline.
[[nodiscard]] std::string describe_wait(const WaitFacts& facts, WaitingFor waiting_for);

class WaitNotice {
 public:
  // A wait this long earns the notice. Shorter ones are the ordinary pauses of a stream.
  static constexpr auto kAfter = std::chrono::milliseconds(500);

  // Enabled only if `wanted` (not --quiet) and standard error is a terminal.
  WaitNotice(WaitFacts facts, bool wanted, ProgressLine& line);

  // Runs `wait(until)` (a blocking call returning a Status that may be retried after a timeout:
  // take, claim, join). While the notice is due, it first waits only kAfter; if that times out
  // before `until`, it says what it waits for, once, and waits again until `until`.
  template <class Wait>
  Status run(Clock::time_point until, WaitingFor waiting_for, Wait wait) {
    if (!due_) return wait(until);
    const Status status = wait(std::min(until, Clock::now() + kAfter));
    if (status != Status::timeout || Clock::now() >= until) return status;
    say(waiting_for);
    return wait(until);
  }

 private:
  void say(WaitingFor waiting_for);

  WaitFacts facts_;
  ProgressLine& line_;
  bool due_ = false;
};

}  // namespace shmq::cli
