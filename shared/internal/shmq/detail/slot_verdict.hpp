// What a consumer makes of a slot it has taken, from the stamp, length and record count it read
// from it once, how it splits a packed slot into messages, and how it checks the fragments of
// a message larger than a slot. Pure, so the decisions are fuzzed
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

// A slot's header, as a consumer read it: once, into a local.
struct SlotFields {
  std::uint64_t stamp = 0;
  std::uint32_t length = 0;
  std::uint32_t records = 0;
};

// How a message in fragments fared: the slots it spans in the run, and whether it is whole.
struct FragmentVerdict {
  std::uint32_t slots = 0;
  bool whole = false;
};

// Checks a message larger than a slot whose first fragment, `first` (judged a message, with
// layout::is_first_fragment(records)), is slot 0 of a run of `available` taken slots at
// `position`. Reads slot j's header once through fields(j) and hands each fragment's payload,
// in order, to copy(j, length). Whole if every fragment that should follow is published for its
// position and counts down to 0. If not, the message spans the slots up to the first that does
// not belong to it (which may start the next message), or the rest of the run, and the caller
// must drop what copy() was given. A hostile count costs at most `available` steps.
template <class Fields, class Copy>
[[nodiscard]] FragmentVerdict judge_fragments(const SlotFields& first, std::uint64_t position,
                                              std::uint32_t slot_size, std::uint32_t available,
                                              Fields&& fields, Copy&& copy) {
  const std::uint32_t after = layout::fragments_after(first.records);
  copy(0U, first.length);
  for (std::uint32_t j = 1; j <= after; ++j) {
    if (j == available) return {j, false};  // the run ends before the message does
    const SlotFields next = fields(j);
    if (judge_slot(next.stamp, next.length, position + j, slot_size) != SlotVerdict::message ||
        next.records != layout::fragment_records(false, after - j)) {
      return {j, false};
    }
    copy(j, next.length);
  }
  return {after + 1, true};
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
