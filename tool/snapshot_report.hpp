// How `shmq` shows queues: a table for list, a block or a JSON object for stat.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "shmq/inspect.hpp"

namespace shmq::tool {

// Messages per second in and out between two snapshots of the same queue.
struct Rates {
  double in = 0;
  double out = 0;
};

[[nodiscard]] Rates rates_between(const QueueSnapshot& before, const QueueSnapshot& after,
                                  double seconds);

// One row of `shmq list`: a snapshot, or why the queue could not be read.
struct ListRow {
  std::string name;
  std::optional<QueueSnapshot> snapshot;
  std::string error;
};

// What `shmq list` shows: the queues, read or not, and the files that could not be opened.
struct Listing {
  std::vector<ListRow> rows;
  std::vector<UnreadableFile> unreadable;
  std::chrono::system_clock::time_point now;  // ages are counted up to it
};

// The queues' table, then, if there are any, a table of the unreadable files' owner, mode, size
// and age; each NAME column as wide as the longest name in either.
[[nodiscard]] std::string list_table(const Listing& listing);
[[nodiscard]] std::string list_json(const Listing& listing);

[[nodiscard]] std::string stat_text(const QueueSnapshot& snapshot,
                                    const std::optional<Rates>& rates);
// One line, beginning with when the snapshot was read: "time" (seconds since the Unix epoch, to
// the millisecond) and "at" (the same in ISO 8601 UTC).
[[nodiscard]] std::string stat_json(const QueueSnapshot& snapshot,
                                    const std::optional<Rates>& rates);

// "healthy", or "stale: ..." / "corrupt: ..." saying why, in one line.
[[nodiscard]] std::string verdict(const QueueSnapshot& snapshot);

}  // namespace shmq::tool
