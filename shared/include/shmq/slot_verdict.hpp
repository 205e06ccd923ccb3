// What a consumer makes of a slot it has taken, from the stamp and length it read from it once.
// Pure, so the decision is fuzzed exactly as the consumer makes it.
#pragma once

#include <cstdint>

#include "shmq/layout.hpp"

namespace shmq {

enum class SlotVerdict : std::uint8_t {
  message,  // published for this position, length within the slot: the payload may be read
  skipped,  // its producer died before publishing: drop it
  corrupt,  // anything else: the payload must not be read
};

[[nodiscard]] constexpr SlotVerdict judge_slot(std::uint64_t stamp, std::uint32_t length,
                                               std::uint64_t position,
                                               std::uint32_t slot_size) noexcept {
  if (stamp == layout::stamp(position, layout::kSlotSkipped)) return SlotVerdict::skipped;
  if (stamp != layout::stamp(position, layout::kSlotPublished) || length > slot_size) {
    return SlotVerdict::corrupt;
  }
  return SlotVerdict::message;
}

}  // namespace shmq
