// Failure points: named steps at which a test can make this process die (SIGKILL) or stop
// (SIGSTOP), to prove that every step can be recovered from. Armed by the environment
// (SHMQ_FAILPOINT=name, SHMQ_FAILPOINT_ACTION=kill|stop, SHMQ_FAILPOINT_AFTER=N to pass the step
// N times first) or by arm(). Unarmed, a failure point costs one predictable branch.
#pragma once

#include <atomic>
#include <string_view>

namespace shmq::failpoint {

// The steps, in the order a message meets them.
inline constexpr std::string_view kProducerAfterClaim = "producer.after_claim";
inline constexpr std::string_view kProducerHoldingMutex = "producer.holding_mutex";
inline constexpr std::string_view kProducerBeforePublish = "producer.before_publish";
// A message in fragments: every fragment stamped but the first (see layout.hpp).
inline constexpr std::string_view kProducerBeforeFirstFragment = "producer.before_first_fragment";
inline constexpr std::string_view kProducerAfterStamps = "producer.after_stamps";
inline constexpr std::string_view kConsumerAfterTake = "consumer.after_take";
inline constexpr std::string_view kConsumerHoldingMutex = "consumer.holding_mutex";
inline constexpr std::string_view kConsumerBeforeRelease = "consumer.before_release";
inline constexpr std::string_view kConsumerAfterStamps = "consumer.after_stamps";
inline constexpr std::string_view kConsumerTakingOrphans = "consumer.taking_orphans";

enum class Action { kill, stop };

// Arms `name` in this process (tests call it in a forked child).
void arm(std::string_view name, Action action = Action::kill, unsigned pass_first = 0);

namespace detail {
extern std::atomic<bool> g_armed;
void hit(std::string_view name);
}  // namespace detail

// Dies or stops here if `name` is armed (and has been passed often enough).
inline void reach(std::string_view name) {
  // relaxed: the flag is set before any queue operation of this process.
  if (detail::g_armed.load(std::memory_order_relaxed)) [[unlikely]] detail::hit(name);
}

}  // namespace shmq::failpoint
