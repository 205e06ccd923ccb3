#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>

#include "shmq/process_table.hpp"
#include "shmq/producer.hpp"
#include "shmq/ring.hpp"
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
