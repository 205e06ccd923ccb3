// Liveness across processes: a live attachment is never reaped, a dead one is even when its pid
// lives again (reused within one clock tick, or kept by a child it forked).
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <functional>
#include <thread>

#include "child_process.hpp"
#include "shmq/consumer.hpp"
#include "shmq/detail/process_table.hpp"
#include "shmq/detail/recovery.hpp"
#include "shmq/detail/ring.hpp"
#include "shmq/inspect.hpp"
#include "shmq/producer.hpp"
#include "test_queue.hpp"

using namespace shmq;
using namespace shmq::test;
using namespace std::chrono_literals;

namespace {

std::uint32_t reap(Ring& ring) {
  return ring.locked([&] { return Recovery(ring).reap_dead_locked(); });
}

// Kills a process that is not our child (we cannot reap it) when the scope ends.
struct KillOnExit {
  pid_t pid = -1;
  ~KillOnExit() {
    if (pid > 0) ::kill(pid, SIGKILL);
  }
};

template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A multi/multi queue of 4 slots, and a ring over it to look at its process table with.
struct WatchedQueue {
  explicit WatchedQueue(const char* tag)
      : queue(tag),
        segment(Segment::open(queue.name(), OpenMode::create_only, queue_config(4, 64, true))),
        ring(segment) {}

  TestQueue queue;
  Segment segment;
  mutable Ring ring;
};

}  // namespace

TEST_CASE("live attachments of another process and of this one are judged alive",
          "[multiprocess][liveness]") {
  const WatchedQueue watched("live-peers");
  const TestQueue& queue = watched.queue;
  Ring& ring = watched.ring;
  ChildProcess holder([&] {
    const Producer producer(queue.name(), OpenMode::open_only);
    alarm(60);  // bounded even if the test dies before killing it
    pause();
    return 0;
  });
  REQUIRE(eventually([&] { return ring.attached(layout::Role::producer) == 1; }));
  const Producer own(queue.name(), OpenMode::open_only);  // reaps while attaching
  const Consumer consumer(queue.name(), OpenMode::open_only);
  CHECK(reap(ring) == 0);
  const QueueSnapshot snapshot = inspect_queue(queue.name());
  CHECK(snapshot.count(layout::Role::producer, true) == 2);
  CHECK(snapshot.count(layout::Role::consumer, true) == 1);
  CHECK(snapshot.state() == QueueState::healthy);
}

TEST_CASE("an entry whose dead owner's forked child lives is reaped and not reused meanwhile",
          "[multiprocess][liveness]") {
  const WatchedQueue watched("inherited");
  const TestQueue& queue = watched.queue;
  Ring& ring = watched.ring;
  int channel[2];
  REQUIRE(pipe(channel) == 0);
  ChildProcess owner([&] {
    const Producer producer(queue.name(), OpenMode::open_only);  // entry 0
    const pid_t heir = fork();  // inherits the attachment, as a fork without exec does
    if (heir == 0) {
      alarm(60);
      pause();
      _exit(0);
    }
    const bool sent = write(channel[1], &heir, sizeof heir) == sizeof heir;
    std::_Exit(sent ? 0 : 1);  // dies attached
    return 1;
  });
  const auto owner_pid = static_cast<std::uint32_t>(owner.pid());
  REQUIRE(owner.wait() == 0);
  KillOnExit heir;
  REQUIRE(read(channel[0], &heir.pid, sizeof heir.pid) == sizeof heir.pid);
  close(channel[0]);
  close(channel[1]);
  REQUIRE(ring.entry(0).pid.load() == owner_pid);
  {
    const Producer next(queue.name(), OpenMode::open_only);  // reaps the dead owner
    CHECK(ring.entry(0).pid.load() == 0);
    CHECK(ring.entry(1).pid.load() == static_cast<std::uint32_t>(getpid()));
  }
  ::kill(heir.pid, SIGKILL);
  // Once the heir is gone, so is the last hold on entry 0: the next attacher gets it.
  CHECK(eventually([&] {
    const Producer again(queue.name(), OpenMode::open_only);
    return ring.entry(0).pid.load() == static_cast<std::uint32_t>(getpid());
  }));
}

namespace {

// What a run in a PID namespace of its own found (its exit code).
constexpr int kReusedAndReaped = 0;
constexpr int kReusedButNotReaped = 1;
constexpr int kNoReuseWithinATick = 2;
constexpr int kNotPermitted = 3;
constexpr int kBroken = 4;

bool set_last_pid(pid_t pid) {
  const int fd = ::open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const std::string text = std::to_string(pid);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return written;
}

// Forks a child that gets pid `pid` (free, in our namespace) and _exits with what `body` returns.
pid_t fork_with_pid(pid_t pid, const std::function<int()>& body) {
  if (!set_last_pid(pid - 1)) return -1;
  const pid_t child = fork();
  if (child == 0) {
    int code = 99;
    try {
      code = body();
    } catch (...) {
    }
    _exit(code);
  }
  return child;
}

// As pid 1 of a new PID namespace with its own /proc: a producer attaches as pid 1000 and dies
// attached, then a process that never attaches is forked as pid 1000 again, at once. Tries until
// both start in the same clock tick, then reports whether the dead producer's entry was reaped.
int reuse_pids(const std::string& name) {
  const Segment segment = Segment::open(name, OpenMode::open_only, QueueConfig{});
  Ring ring(segment);
  // Not 2: in a new namespace the next pids go to threads too (ThreadSanitizer's runtime starts
  // one), and one of them would hold it.
  constexpr pid_t kPid = 1000;
  for (int attempt = 0; attempt < 20; ++attempt) {
    const pid_t attacher = fork_with_pid(kPid, [&] {
      const Producer producer(name, OpenMode::open_only);
      std::_Exit(0);  // dies attached
      return 1;
    });
    if (attacher < 0) return kNotPermitted;
    int status = 0;
    waitpid(attacher, &status, 0);
    if (attacher != kPid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return kBroken;
    const std::uint64_t attached_at = ring.entry(0).start_time.load();
    const pid_t impostor = fork_with_pid(kPid, [] {
      pause();
      return 0;
    });
    const bool same_tick = impostor == kPid && identity_of(kPid).start_time == attached_at;
    const std::uint32_t reaped = reap(ring);
    ::kill(impostor, SIGKILL);
    waitpid(impostor, nullptr, 0);
    if (same_tick) return reaped == 1 ? kReusedAndReaped : kReusedButNotReaped;
    if (reaped != 1) return kBroken;  // another start time: dead by any reckoning
  }
  return kNoReuseWithinATick;
}

int run_in_new_pid_namespace(const std::string& name) {
  if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) return kNotPermitted;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return kNotPermitted;
  ChildProcess init([&] {
    // Our own /proc: pids there are this namespace's, as the queue's processes see them.
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      return kNotPermitted;
    }
    return reuse_pids(name);
  });
  return init.wait(60s);
}

}  // namespace

TEST_CASE("a pid reused within its dead attacher's clock tick is not taken for it",
          "[multiprocess][liveness]") {
  TestQueue queue("ns-last-pid");
  { const Segment created = Segment::open(queue.name(), OpenMode::create_only, queue_config(4)); }
  ChildProcess runner([&] { return run_in_new_pid_namespace(queue.name()); });
  const int result = runner.wait(90s);
  if (result == kNotPermitted) {
    SUCCEED("skipped: no new PID and mount namespace, /proc mount or ns_last_pid (needs root)");
    return;
  }
  if (result == kNoReuseWithinATick) {
    SUCCEED("skipped: the pid never came back within the same clock tick in 20 tries");
    return;
  }
  CHECK(result == kReusedAndReaped);
}
