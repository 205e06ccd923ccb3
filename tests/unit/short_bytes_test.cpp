// short_copy and short_equal against memcpy and memcmp, for every length up to past 64 and a
// difference at every position.
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "shmq/detail/short_bytes.hpp"

TEST_CASE("short_copy copies exactly n bytes and nothing around them", "[unit][short-bytes]") {
  for (std::size_t n = 0; n <= 130; ++n) {
    std::vector<unsigned char> from(n + 2);
    for (std::size_t i = 0; i < from.size(); ++i) from[i] = static_cast<unsigned char>(i * 7 + 1);
    std::vector<unsigned char> to(n + 2, 0xEE);
    shmq::short_copy(to.data() + 1, from.data() + 1, n);
    INFO("n = " << n);
    CHECK(to.front() == 0xEE);
    CHECK(to.back() == 0xEE);
    CHECK(std::memcmp(to.data() + 1, from.data() + 1, n) == 0);
  }
}

TEST_CASE("short_equal finds a difference at any position", "[unit][short-bytes]") {
  for (std::size_t n = 0; n <= 130; ++n) {
    std::vector<unsigned char> a(n + 1, 0x5A);
    std::vector<unsigned char> b(n + 1, 0x5A);
    b[n] = 0;  // past the end: must not matter
    INFO("n = " << n);
    CHECK(shmq::short_equal(a.data(), b.data(), n));
    for (std::size_t at = 0; at < n; ++at) {
      b[at] ^= 0x01;
      CHECK_FALSE(shmq::short_equal(a.data(), b.data(), n));
      b[at] ^= 0x01;
    }
  }
}
