#include <catch2/catch.hpp>

#include "options.hpp"

using namespace shmq::cli;

TEST_CASE("sizes accept binary suffixes", "[unit][options]") {
  CHECK(parse_size("64", "size") == 64);
  CHECK(parse_size("4K", "size") == 4096);
  CHECK(parse_size("4k", "size") == 4096);
  CHECK(parse_size("2M", "size") == 2U << 20);
  CHECK(parse_size("1G", "size") == 1U << 30);
}

TEST_CASE("counts accept decimal suffixes", "[unit][options]") {
  CHECK(parse_count("10k", "count") == 10000);
  CHECK(parse_count("5M", "count") == 5000000);
}

TEST_CASE("zero, negative, malformed and overflowing numbers are usage errors",
          "[unit][options]") {
  for (const char* bad : {"0", "-1", "", "abc", "12x", "4KB", "1.5K", " 4", "99999999999999999999",
                          "17179869184G"}) {
    INFO("input: '" << bad << "'");
    CHECK_THROWS_AS(parse_size(bad, "size"), UsageError);
  }
}

TEST_CASE("seconds must be a positive finite number", "[unit][options]") {
  CHECK(parse_seconds("0.5", "timeout") == std::chrono::milliseconds(500));
  CHECK(parse_seconds("2", "timeout") == std::chrono::seconds(2));
  for (const char* bad : {"0", "-1", "nan", "inf", "1s", "", "1e300"}) {
    INFO("input: '" << bad << "'");
    CHECK_THROWS_AS(parse_seconds(bad, "timeout"), UsageError);
  }
}
