// The ring's slots: where a position's slot lives, its stamp, and prefetching ahead of a walk.
// Nothing here moves a cursor or takes a lock (ring.hpp does); a view over a Segment's mapping.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "shmq/detail/layout.hpp"
#include "shmq/detail/segment.hpp"
#include "shmq/detail/slot_verdict.hpp"

namespace shmq {

class SlotArray {
 public:
  static constexpr std::size_t kPrefetchSpan = 2048;  // bytes of one slot
  // Bytes ahead to prefetch. A slot comes from the other core's cache, which on a VM can take
  // half a microsecond; only many transfers in flight at once keep the walk from waiting on
  // each. Half the L1 cache: what is fetched is still there when the walk gets to it.
  static constexpr std::size_t kPrefetchDistance = 16 * 1024;

  explicit SlotArray(const Segment& segment) noexcept
      : segment_(segment),
        capacity_(segment.geometry().capacity),
        mask_(capacity_ - 1U),
        power_of_two_((capacity_ & (capacity_ - 1U)) == 0),
        prefetch_ahead_(static_cast<std::uint32_t>(
            std::max<std::size_t>(kPrefetchDistance / segment.slot_stride(), 1))) {}

  // The slot a position lives in.
  [[nodiscard]] std::uint64_t index_of(std::uint64_t position) const noexcept {
    return power_of_two_ ? (position & mask_) : (position % capacity_);
  }
  [[nodiscard]] layout::SlotHeader& header(std::uint64_t position) const noexcept {
    return *reinterpret_cast<layout::SlotHeader*>(segment_.slot(index_of(position)));
  }
  [[nodiscard]] std::byte* payload(std::uint64_t position) const noexcept {
    return segment_.slot(index_of(position)) + sizeof(layout::SlotHeader);
  }
  [[nodiscard]] std::uint64_t stamp_of(std::uint64_t position) const noexcept {
    // acquire: pairs with the release store that set the stamp; the slot's contents come first.
    return header(position).stamp.load(std::memory_order_acquire);
  }
  void set_stamp(std::uint64_t position, layout::SlotState state) const noexcept {
    // release: what we did to the slot happens before anyone who sees the new stamp.
    header(position).stamp.store(layout::stamp(position, state), std::memory_order_release);
  }

  // A slot's header, read once (the stamp first, acquiring what its writer wrote before it).
  [[nodiscard]] SlotFields fields(std::uint64_t position) const noexcept {
    const layout::SlotHeader& slot = header(position);
    const std::uint64_t stamp = slot.stamp.load(std::memory_order_acquire);
    return {stamp, slot.length, slot.records};
  }
  // How many more slots the message in a taken slot at `position` occupies: the fragments that
  // follow it, if it holds a fragment published (or orphaned) for this position; else 0. At
  // most a ring: a peer may write anything. What extends a take to a message's end.
  [[nodiscard]] std::uint32_t fragments_after(std::uint64_t position) const noexcept {
    const SlotFields slot = fields(position);
    if (slot.stamp != layout::stamp(position, layout::kSlotPublished) &&
        slot.stamp != layout::stamp(position, layout::kSlotOrphaned)) {
      return 0;
    }
    if (!layout::is_fragment(slot.records)) return 0;
    return std::min(layout::fragments_after(slot.records), capacity_);
  }

  // Asks the CPU to fetch a slot ahead of use (for writing, or for reading): slots usually sit
  // in the other side's cache, and a batch walks through them in order. Covers the slot's first
  // kPrefetchSpan bytes (the hardware's own prefetcher follows a longer copy).
  void prefetch(std::uint64_t position, bool for_writing) const noexcept {
    const std::byte* first = segment_.slot(index_of(position));
    const std::size_t span = std::min<std::size_t>(segment_.slot_stride(), kPrefetchSpan);
    // __builtin_prefetch takes its read/write flag only as a constant.
    const auto fetch = [for_writing](const std::byte* at) {
      if (for_writing) {
        __builtin_prefetch(at, 1);
      } else {
        __builtin_prefetch(at, 0);
      }
    };
    for (std::size_t at = 0; at < span; at += layout::kCacheLine) fetch(first + at);
    fetch(first + span - 1);  // a slot need not start on a line: its last bytes may be on one more
  }
  // How many slots ahead to prefetch: about kPrefetchDistance bytes, at least the next slot.
  [[nodiscard]] std::uint32_t prefetch_ahead() const noexcept { return prefetch_ahead_; }
  // Before walking the batch [first, first + count): prefetches its first prefetch_ahead()
  // slots, so that many transfers are in flight from the start; the walk then prefetches slot
  // i + prefetch_ahead() as it reaches slot i.
  void prefetch_start(std::uint64_t first, std::uint32_t count, bool for_writing) const noexcept {
    const std::uint32_t n = std::min(count, prefetch_ahead_);
    for (std::uint32_t i = 0; i < n; ++i) prefetch(first + i, for_writing);
  }

 private:
  const Segment& segment_;
  std::uint32_t capacity_;
  std::uint64_t mask_;
  bool power_of_two_;
  std::uint32_t prefetch_ahead_;
};

}  // namespace shmq
