// How `shmq` shows queues: a table for list, a block or a JSON object for stat.
#pragma once

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

[[nodiscard]] std::string list_table(const std::vector<ListRow>& rows);
[[nodiscard]] std::string list_json(const std::vector<ListRow>& rows);

[[nodiscard]] std::string stat_text(const QueueSnapshot& snapshot,
                                    const std::optional<Rates>& rates);
[[nodiscard]] std::string stat_json(const QueueSnapshot& snapshot,
                                    const std::optional<Rates>& rates);

// "healthy", or "stale: ..." / "corrupt: ..." saying why, in one line.
[[nodiscard]] std::string verdict(const QueueSnapshot& snapshot);

}  // namespace shmq::tool
