#include "wait_notice.hpp"

#include <unistd.h>

#include <iostream>

#include "progress_line.hpp"
#include "shmq/inspect.hpp"
#include "statistics.hpp"

namespace shmq::cli {
namespace {

std::string describe(const WaitFacts& facts, WaitingFor waiting_for, const QueueSnapshot& queue) {
  const std::string on = " on " + std::string(facts.created ? "new queue '" : "queue '") +
                         facts.queue + "'";
  const std::uint32_t producers = queue.count(layout::Role::producer, true);
  const std::uint32_t consumers = queue.count(layout::Role::consumer, true);
  const std::string attached_consumers =
      consumers == 0 ? "no consumer is attached" : counted(consumers, "consumer") + " attached";
  switch (waiting_for) {
    case WaitingFor::messages:
      if (producers != 0) {
        return "waiting for messages" + on + ": its " + counted(producers, "producer") +
               " attached sent nothing more";
      }
      if (facts.created) {
        return "waiting for a producer" + on +
               " (created now; --no-create attaches only to an existing queue)";
      }
      return "waiting for a producer" + on + ": none is attached and the ring is empty" +
             (queue.producers_ever == 0
                  ? ""
                  : " (" + counted(queue.producers_ever, "producer") +
                        " came and went before; their stream has ended)");
    case WaitingFor::room:
      return "waiting for room" + on + ": all " + counted(queue.geometry.capacity, "slot") +
             " are full and " + attached_consumers;
    case WaitingFor::consumers_to_attach:
      return "waiting for " + counted(facts.await_consumers, "consumer") +
             " to attach (--await-consumers)" + on + ": " + attached_consumers;
    case WaitingFor::consumers_to_finish:
      return "waiting for consumers to finish what we sent (--join)" + on + ": " +
             attached_consumers;
  }
  return "waiting" + on;
}

}  // namespace

std::string describe_wait(const WaitFacts& facts, WaitingFor waiting_for) {
  try {
    return describe(facts, waiting_for, inspect_queue(facts.queue, facts.config));
  } catch (const Error& error) {  // unreadable just now (removed, say): say what we can
    return "waiting on queue '" + facts.queue + "' (" + error.what() + ")";
  }
}

WaitNotice::WaitNotice(WaitFacts facts, bool wanted, ProgressLine& line)
    : facts_(std::move(facts)), line_(line), due_(wanted && isatty(STDERR_FILENO) != 0) {}

void WaitNotice::say(WaitingFor waiting_for) {
  due_ = false;
  line_.clear();  // redrawn with the next batch
  std::cerr << facts_.program << ": " << describe_wait(facts_, waiting_for) << "\n";
}

}  // namespace shmq::cli
