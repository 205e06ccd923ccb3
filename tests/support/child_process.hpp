// fork()ed children for multi-process tests. A child runs a function and exits with its result;
// the parent waits with a bound and kills a child that overruns, so no test can hang.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>

namespace shmq::test {

class ChildProcess {
 public:
  // Forks; the child runs `body` and _exit()s with its return value (or 99 on an exception).
  explicit ChildProcess(const std::function<int()>& body);
  ~ChildProcess();  // kills and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits up to `limit`; returns the exit code, or -1 if the child had to be killed (it hung) or
  // died from a signal.
  int wait(std::chrono::milliseconds limit = std::chrono::seconds(60));
  void kill(int signal);
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace shmq::test
