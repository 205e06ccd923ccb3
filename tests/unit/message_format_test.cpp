#include <catch2/catch.hpp>
#include <vector>

#include "shmq/detail/message_format.hpp"

using namespace shmq::message_format;

TEST_CASE("a generated message decodes to its producer and sequence", "[unit][format]") {
  for (std::size_t size : {16U, 17U, 24U, 64U, 1000U, 65536U}) {
    std::vector<std::byte> message(size);
    write(message, 4242, 123456789012ULL);
    Decoded decoded;
    REQUIRE(decode(message, decoded) == Check::ok);
    CHECK(decoded.producer == 4242);
    CHECK(decoded.sequence == 123456789012ULL);
  }
}

TEST_CASE("flipping any single byte of a message is detected", "[unit][format]") {
  std::vector<std::byte> message(64);
  write(message, 7, 99);
  Decoded decoded;
  for (std::size_t i = 0; i < message.size(); ++i) {
    auto damaged = message;
    damaged[i] ^= std::byte{0x10};
    INFO("byte " << i);
    CHECK(decode(damaged, decoded) == Check::bad_checksum);
  }
}

TEST_CASE("a truncated or short message is detected", "[unit][format]") {
  std::vector<std::byte> message(64);
  write(message, 7, 99);
  Decoded decoded;
  CHECK(decode(std::span(message).first(63), decoded) == Check::bad_checksum);
  CHECK(decode(std::span(message).first(15), decoded) == Check::too_short);
}
