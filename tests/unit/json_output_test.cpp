#include <catch2/catch.hpp>
#include <iterator>
#include <string>

#include "json_output.hpp"
#include "statistics.hpp"

using namespace shmq::cli;

TEST_CASE("statistics JSON keeps its keys in order, numbers as numbers, the schema version last",
          "[unit][json]") {
  RunStatistics stats{"consumer", "q", 3, 48, 0.5, "end-of-stream", {{"missing", 2}}};
  const std::string line = to_json(stats);
  REQUIRE(line.back() == '\n');
  CHECK(line.rfind(R"({"role":"consumer","name":"q","messages":3,"bytes":48,"seconds":0.5,)", 0) ==
        0);
  const Json parsed = Json::parse(line);
  CHECK(parsed["msgs_per_sec"].get<double>() == 6.0);
  CHECK(parsed["mb_per_sec"].get<double>() == Approx(96e-6));
  CHECK(parsed["missing"] == 2);
  CHECK(parsed.back() == kJsonSchemaVersion);
  CHECK(std::prev(parsed.end()).key() == "schema_version");
}

TEST_CASE("names that need escaping, and bytes that are not UTF-8, still make valid JSON",
          "[unit][json]") {
  RunStatistics stats{"producer", "a\"b\\c\nd\x01\xff", 0, 0, 0, "ok", {}};
  const std::string line = to_json(stats);
  CHECK(line.find(R"("name":"a\"b\\c\nd\u0001)") != std::string::npos);
  CHECK(Json::parse(line)["name"] == "a\"b\\c\nd\x01\xEF\xBF\xBD");  // U+FFFD for \xff
  CHECK(Json::parse(line)["seconds"] == 0.0);
}
