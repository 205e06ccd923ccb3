// What every JSON output of shmq's programs shares: the schema version and how a line is written.
// Header-only; a target that includes it links nlohmann_json::nlohmann_json itself.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace shmq::cli {

// "schema_version", the last key of every object a reader takes whole: the producer's and the
// consumer's statistics, each `shmq list` row, each `shmq stat` object, bench.json. Bump it when a
// key is removed or renamed or its type or meaning changes; adding a key does not bump it.
inline constexpr int kJsonSchemaVersion = 1;

// Keys stay in the order they were set: "role" (statistics) and "time" (stat) come first.
using Json = nlohmann::ordered_json;

// `object` with "schema_version" added last.
[[nodiscard]] inline Json versioned(Json object) {
  object["schema_version"] = kJsonSchemaVersion;
  return object;
}

// One compact line ending in a newline. Bytes that are not UTF-8 (a name read from a damaged
// segment) are written as U+FFFD instead of throwing.
[[nodiscard]] inline std::string json_line(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace shmq::cli
