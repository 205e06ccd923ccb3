// A producer that ends the stream only explicitly (AttachOptions::ends_explicitly, what
// shmq-bridge in attaches as): its leaving, and its death by kill -9, are no end of stream; the
// consumers wait for its successor, whose end_stream() is.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "child_process.hpp"
#include "shmq/consumer.hpp"
#include "shmq/inspect.hpp"
#include "shmq/producer.hpp"
#include "test_queue.hpp"

using namespace shmq;
using namespace shmq::test;
using namespace std::chrono_literals;

namespace {

AttachOptions ending_explicitly() {
  AttachOptions options;
  options.ends_explicitly = true;
  return options;
}

void put_text(Producer& producer, const std::string& text) {
  REQUIRE(producer.put_for(std::as_bytes(std::span(text)), 1s) == Status::ok);
}

// Takes the one message waiting, then finds that the stream goes on: no end of stream within
// a few wait slices, though no producer is attached.
void drain_one_and_find_no_end(Consumer& consumer) {
  std::vector<std::byte> out;
  REQUIRE(consumer.get_for(out, 5s) == Status::ok);
  CHECK(consumer.get_for(out, 300ms) == Status::timeout);
}

void successor_ends(const std::string& name, Consumer& consumer) {
  Producer successor(name, OpenMode::open_only, {}, ending_explicitly());
  successor.end_stream();
  std::vector<std::byte> out;
  CHECK(consumer.get_for(out, 5s) == Status::end_of_stream);
  CHECK_FALSE(inspect_queue(name).end_owed);
}

}  // namespace

TEST_CASE("a producer that ends explicitly and leaves without ending is no end of stream",
          "[multiprocess][explicit-end]") {
  TestQueue queue("explicit-end-close");
  Consumer consumer(queue.name(), OpenMode::create_only, queue_config(4));
  {
    Producer producer(queue.name(), OpenMode::open_only, {}, ending_explicitly());
    put_text(producer, "one");
  }  // closed, not ended
  CHECK(inspect_queue(queue.name()).end_owed);
  drain_one_and_find_no_end(consumer);
  successor_ends(queue.name(), consumer);
}

TEST_CASE("a producer that ends explicitly, killed with -9, is no end of stream",
          "[multiprocess][explicit-end]") {
  TestQueue queue("explicit-end-kill");
  Consumer consumer(queue.name(), OpenMode::create_only, queue_config(4));
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  ChildProcess child([&] {
    Producer producer(queue.name(), OpenMode::open_only, {}, ending_explicitly());
    const std::string text = "from the victim";
    if (producer.put_for(std::as_bytes(std::span(text)), 1s) != Status::ok) return 1;
    (void)!write(ready[1], "r", 1);
    pause();  // until killed
    return 0;
  });
  char byte = 0;
  REQUIRE(read(ready[0], &byte, 1) == 1);
  close(ready[0]);
  close(ready[1]);
  child.kill(SIGKILL);
  CHECK(child.wait() == -1);
  drain_one_and_find_no_end(consumer);  // the waits reap the dead producer: still no end
  successor_ends(queue.name(), consumer);
}

TEST_CASE("an ordinary producer's end_stream() is its close()", "[multiprocess][explicit-end]") {
  TestQueue queue("explicit-end-plain");
  Consumer consumer(queue.name(), OpenMode::create_only, queue_config(4));
  Producer producer(queue.name(), OpenMode::open_only);
  put_text(producer, "one");
  producer.end_stream();
  std::vector<std::byte> out;
  CHECK(consumer.get_for(out, 5s) == Status::ok);
  CHECK(consumer.get_for(out, 5s) == Status::end_of_stream);
}
