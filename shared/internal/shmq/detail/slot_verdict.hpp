// What a consumer makes of a slot it has taken, from the stamp, length and record count it read
// from it once, and how it splits a packed slot into messages. Pure, so the decisions are fuzzed
// exactly as the consumer makes them.
#pragma once

#include <cstdint>
#include <cstring>

#include "shmq/detail/layout.hpp"

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

// Splits the `length` bytes at `payload` (a slot judged `message`, so length <= slot_size) into
// `records` packed messages, calling deliver(offset, size) for each in order; each size prefix is
// read once. Returns false if they do not parse to exactly `length` bytes: the slot is then
// corrupt, and the caller must drop what was delivered. Stops at the first record that would
// overrun, so a hostile count costs at most length / kRecordPrefix steps.
template <class Deliver>
[[nodiscard]] bool split_records(const std::byte* payload, std::uint32_t length,
                                 std::uint32_t records, Deliver&& deliver) {
  std::uint32_t offset = 0;
  for (std::uint32_t i = 0; i < records; ++i) {
    if (length - offset < layout::kRecordPrefix) return false;
    std::uint32_t size = 0;
    std::memcpy(&size, payload + offset, sizeof size);
    offset += layout::kRecordPrefix;
    if (size > length - offset) return false;
    deliver(offset, size);
    offset += size;
  }
  return offset == length;
}

}  // namespace shmq
