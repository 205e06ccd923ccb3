// consumer --record FILE: one fixed-size binary record per verified message received, appended
// and flushed before the message is released, so the file survives a kill -9 with at least
// everything the consumer finished. Read by shmq-tally (tests/tools).
#pragma once

#include <cstdint>

namespace shmq::cli {

struct DeliveryRecord {
  std::uint32_t producer;
  std::uint32_t reserved;  // 0
  std::uint64_t sequence;
};
static_assert(sizeof(DeliveryRecord) == 16);

// The producer id of a record that stands for a message that failed its checksum.
inline constexpr std::uint32_t kCorruptRecord = 0xFFFFFFFF;

}  // namespace shmq::cli
