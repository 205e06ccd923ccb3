// The names the bridge gives and reads: each message's Nats-Msg-Id (made from its place in the
// queue, parsed back only for this queue's incarnation) and which subjects a stream's cover.
#include <catch2/catch.hpp>
#include <string>

#include "message_id.hpp"
#include "subject_match.hpp"

using shmq::MessageId;
using shmq::bridge::MessageIdText;
using shmq::bridge::subject_covers;

TEST_CASE("a message id names the queue's incarnation, the slot and the record",
          "[unit][bridge]") {
  MessageIdText ids(0xabcULL);
  CHECK(std::string(ids.of({42, 3})) == "0000000000000abc-42-3");
  CHECK(std::string(ids.of({UINT64_MAX, UINT32_MAX})) ==
        "0000000000000abc-18446744073709551615-4294967295");
  const auto parsed = ids.parse("0000000000000abc-42-3");
  REQUIRE(parsed);
  CHECK(*parsed == MessageId{42, 3});
  CHECK(ids.end_of_stream(2) == "0000000000000abc-end-2");
}

TEST_CASE("only this queue's well-formed ids parse", "[unit][bridge]") {
  const MessageIdText ids(0xabcULL);
  for (const char* bad : {"", "0000000000000abd-42-3", "0000000000000abc-", "0000000000000abc-42",
                          "0000000000000abc-42-", "0000000000000abc-42-3x",
                          "0000000000000abc-x-3", "0000000000000abc-end-2",
                          "0000000000000abc-99999999999999999999-1"}) {
    INFO(bad);
    CHECK_FALSE(ids.parse(bad));
  }
}

TEST_CASE("a stream's subjects cover a subject as NATS wildcards match", "[unit][bridge]") {
  CHECK(subject_covers("logs.a", "logs.a"));
  CHECK_FALSE(subject_covers("logs.a", "logs.b"));
  CHECK_FALSE(subject_covers("logs.a", "logs.a.b"));
  CHECK(subject_covers("logs.*", "logs.a"));
  CHECK_FALSE(subject_covers("logs.*", "logs.a.b"));
  CHECK(subject_covers("logs.>", "logs.a.b"));
  CHECK_FALSE(subject_covers("logs.>", "logs"));
  CHECK(subject_covers(">", "anything.at.all"));
  CHECK(subject_covers("logs.*", "logs.*"));
  CHECK_FALSE(subject_covers("logs.*", "logs.>"));
  CHECK(subject_covers("logs.>", "logs.*"));
}
