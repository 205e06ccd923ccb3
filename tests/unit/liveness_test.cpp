#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>

#include "child_process.hpp"
#include "shmq/detail/entry_lock.hpp"
#include "shmq/detail/process_table.hpp"
#include "shmq/detail/recovery.hpp"
#include "shmq/detail/ring.hpp"
#include "shmq/inspect.hpp"
#include "shmq/producer.hpp"
#include "test_queue.hpp"

using namespace shmq;

TEST_CASE("this process is alive; its pid with another start time is not", "[unit][liveness]") {
  const ProcessIdentity self = current_process();
  REQUIRE(self.start_time != 0);
  CHECK(is_alive(self));
  CHECK_FALSE(is_alive({self.pid, self.start_time + 1}));  // a reused pid
  CHECK_FALSE(is_alive({0, 0}));
  // Attached where /proc was unreadable: the start time is unknown, not a reuse.
  CHECK(is_alive({self.pid, 0}));
}

TEST_CASE("a child that exited is dead even before it is reaped (zombie)", "[unit][liveness]") {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  const ProcessIdentity identity{static_cast<std::uint32_t>(child), 0};
  siginfo_t info{};
  REQUIRE(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) == 0);  // a zombie
  REQUIRE(kill(child, 0) == 0);  // the pid still exists
  CHECK_FALSE(is_alive(identity));
  waitpid(child, nullptr, 0);
  CHECK_FALSE(is_alive(identity));
}

TEST_CASE("a stopped process is alive", "[unit][liveness]") {
  const pid_t child = fork();
  if (child == 0) {
    raise(SIGSTOP);
    _exit(0);
  }
  siginfo_t info{};
  REQUIRE(waitid(P_PID, static_cast<id_t>(child), &info, WSTOPPED) == 0);
  const ProcessIdentity identity = identity_of(static_cast<std::uint32_t>(child));
  REQUIRE(identity.start_time != 0);
  CHECK(is_alive(identity));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

TEST_CASE("an attachment notes the messages waiting as it joins, not later", "[unit][liveness]") {
  shmq::test::TestQueue queue("attach-snapshot");
  const Segment segment =
      Segment::open(queue.name(), OpenMode::create_only, shmq::test::queue_config(4));
  Ring ring(segment);
  {
    const Attachment early(ring, layout::Role::consumer, true, queue.name(),
                           Clock::time_point::max());
    {
      Producer producer(queue.name(), OpenMode::open_only);
      REQUIRE(producer.put(std::as_bytes(std::span("x", 1))) == Status::ok);
    }
    CHECK_FALSE(early.items_waiting_before());  // the message came after: not left over
    CHECK(early.producers_attached_before() == 0);
  }
  const Attachment late(ring, layout::Role::consumer, true, queue.name(), Clock::time_point::max());
  CHECK(late.items_waiting_before());  // waiting, with no producer attached: left over
  CHECK(late.producers_attached_before() == 0);
}

namespace {

// Writes `identity` into free entry `index` as an attacher would, without its lock: what a pid
// reused within one clock tick looks like to a reaper.
void plant_entry(Ring& ring, std::uint32_t index, const ProcessIdentity& identity) {
  ring.locked([&] {
    layout::ProcessEntry& entry = ring.entry(index);
    REQUIRE(entry.pid.load() == 0);
    entry.role.store(static_cast<std::uint32_t>(layout::Role::producer));
    entry.start_time.store(identity.start_time);
    entry.pid.store(identity.pid);
  });
}

std::uint32_t reap(Ring& ring) {
  return ring.locked([&] { return Recovery(ring).reap_dead_locked(); });
}

}  // namespace

TEST_CASE("an entry naming a live process that never attached is judged dead", "[unit][liveness]") {
  shmq::test::TestQueue queue("reused-pid");
  const Segment segment =
      Segment::open(queue.name(), OpenMode::create_only, shmq::test::queue_config(4, 64, true));
  Ring ring(segment);
  // A live process with the entry's pid and start time, as a pid reused within the tick of
  // the dead attacher's start would be; it holds no attachment.
  shmq::test::ChildProcess impostor([] {
    alarm(60);  // bounded even if the test dies before killing it
    pause();
    return 0;
  });
  const ProcessIdentity reused = identity_of(static_cast<std::uint32_t>(impostor.pid()));
  REQUIRE(reused.start_time != 0);
  REQUIRE(is_alive(reused));  // pid and start time alone cannot tell it apart
  plant_entry(ring, 0, reused);
  const QueueSnapshot snapshot = inspect_queue(queue.name());
  REQUIRE(snapshot.processes.size() == 1);
  CHECK_FALSE(snapshot.processes[0].alive);
  CHECK(reap(ring) == 1);
  CHECK(ring.entry(0).pid.load() == 0);
}

TEST_CASE("an entry of an attacher that had no /proc (start time 0) is judged by its pid",
          "[unit][liveness]") {
  shmq::test::TestQueue queue("no-proc");
  const Segment segment =
      Segment::open(queue.name(), OpenMode::create_only, shmq::test::queue_config(4, 64, true));
  Ring ring(segment);
  shmq::test::ChildProcess attacher([] {
    alarm(60);
    pause();
    return 0;
  });
  plant_entry(ring, 0, {static_cast<std::uint32_t>(attacher.pid()), 0});
  CHECK(reap(ring) == 0);  // it could take no lock either: its pid is all there is to go by
  attacher.kill(SIGKILL);
  REQUIRE(attacher.wait() == -1);
  CHECK(reap(ring) == 1);
}

TEST_CASE("an entry lock is seen through any other description, a read-only one included",
          "[unit][liveness]") {
  shmq::test::TestQueue queue("entry-lock");
  const Segment segment =
      Segment::open(queue.name(), OpenMode::create_only, shmq::test::queue_config(4));
  const Segment view = Segment::inspect(queue.name());  // read-only, as `shmq stat` opens it
  EntryLock lock(segment.file_descriptor());
  REQUIRE(lock.usable());
  REQUIRE(probe_entry_lock(view.file_descriptor(), 3) == LockProbe::free);
  REQUIRE(lock.try_lock(3) == EntryLock::Attempt::locked);
  CHECK(probe_entry_lock(view.file_descriptor(), 3) == LockProbe::held);
  CHECK(probe_entry_lock(segment.file_descriptor(), 3) == LockProbe::held);  // same process
  CHECK(probe_entry_lock(view.file_descriptor(), 4) == LockProbe::free);     // one byte only
  EntryLock other(segment.file_descriptor());
  CHECK(other.try_lock(3) == EntryLock::Attempt::held_elsewhere);  // exclusive
  // A forked child that closes its copy leaves the lock with us.
  shmq::test::ChildProcess child([&] {
    lock.close();
    return 0;
  });
  REQUIRE(child.wait() == 0);
  CHECK(probe_entry_lock(view.file_descriptor(), 3) == LockProbe::held);
  lock.close();
  CHECK(probe_entry_lock(view.file_descriptor(), 3) == LockProbe::free);
  CHECK(probe_entry_lock(-1, 3) == LockProbe::unknown);
}
