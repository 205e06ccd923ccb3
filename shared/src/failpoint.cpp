#include "shmq/detail/failpoint.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace shmq::failpoint {
namespace {

struct Armed {
  std::string name;
  Action action = Action::kill;
  unsigned pass_first = 0;
};

Armed& armed() {
  static Armed value;
  return value;
}

// Reads the environment once, before main(), so that programs need no code for it.
bool arm_from_environment() {
  const char* name = std::getenv("SHMQ_FAILPOINT");
  if (name == nullptr || *name == '\0') return false;
  const char* action = std::getenv("SHMQ_FAILPOINT_ACTION");
  const char* after = std::getenv("SHMQ_FAILPOINT_AFTER");
  arm(name, action != nullptr && std::string(action) == "stop" ? Action::stop : Action::kill,
      after != nullptr ? static_cast<unsigned>(std::strtoul(after, nullptr, 10)) : 0U);
  return true;
}

const bool g_from_environment = arm_from_environment();

}  // namespace

namespace detail {

std::atomic<bool> g_armed{false};

void hit(std::string_view name) {
  Armed& point = armed();
  if (name != point.name) return;
  if (point.pass_first > 0) {
    --point.pass_first;
    return;
  }
  // relaxed: this process's own flag. A stopped process that is continued goes on normally.
  g_armed.store(false, std::memory_order_relaxed);
  raise(point.action == Action::stop ? SIGSTOP : SIGKILL);
}

}  // namespace detail

void arm(std::string_view name, Action action, unsigned pass_first) {
  (void)g_from_environment;
  armed() = Armed{std::string(name), action, pass_first};
  // relaxed: read only by this process's own later calls (see reach()).
  detail::g_armed.store(true, std::memory_order_relaxed);
}

}  // namespace shmq::failpoint
