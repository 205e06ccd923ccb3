// libFuzzer target: the consumer's reading of slots it has taken (the verdict, the split of a
// packed slot into messages, the assembly of a message in fragments), and the verifier's decoding of the messages. The input is a ring's
// geometry, a run of positions and the raw bytes of the slots. The slots live in a heap block of
// exactly the ring's size, so AddressSanitizer stops any read that the stamp/length checks let past
// the end of a slot's payload or of the ring.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_input.hpp"
#include "shmq/detail/layout.hpp"
#include "shmq/detail/message_format.hpp"
#include "shmq/detail/slot_verdict.hpp"

namespace {

volatile std::uint64_t g_sink = 0;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shmq;
  fuzz::Input input(data, size);
  const std::uint32_t capacity = input.take<std::uint8_t>() % 16 + 1;
  const std::uint32_t slot_size = input.take<std::uint16_t>() % 512 + 1;
  const std::uint64_t first = input.take<std::uint64_t>();
  const std::uint32_t count = input.take<std::uint8_t>() % (capacity + 1);
  const std::size_t stride = layout::slot_stride_for(slot_size);

  // new[] of the exact size: ASan's redzone starts right after the last slot.
  auto* ring = new std::byte[capacity * stride];
  std::memset(ring, 0, capacity * stride);
  std::memcpy(ring, input.data(), std::min(input.size(), capacity * stride));

  const auto slot_at = [&](std::uint64_t position) { return ring + (position % capacity) * stride; };
  const auto fields_at = [&](std::uint64_t position) {
    const std::byte* slot = slot_at(position);
    SlotFields fields;
    std::memcpy(&fields.stamp, slot, sizeof fields.stamp);
    std::memcpy(&fields.length, slot + offsetof(layout::SlotHeader, length), sizeof fields.length);
    std::memcpy(&fields.records, slot + offsetof(layout::SlotHeader, records),
                sizeof fields.records);
    return fields;
  };
  message_format::Checker checker;
  std::uint64_t sum = 0;
  const auto check = [&](std::span<const std::byte> message) {
    for (std::byte b : message) sum += static_cast<std::uint8_t>(b);  // touch every byte
    message_format::Decoded decoded;
    (void)checker.check(message, decoded);
  };
  std::vector<std::byte> assembled;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint64_t position = first + i;
    const SlotFields slot = fields_at(position);
    if (judge_slot(slot.stamp, slot.length, position, slot_size) != SlotVerdict::message) continue;
    const std::byte* payload = slot_at(position) + sizeof(layout::SlotHeader);
    const auto read = [&](std::uint32_t at, std::uint32_t n) { check({payload + at, n}); };
    if (slot.records == 0) {
      read(0, slot.length);
    } else if (layout::is_fragment(slot.records)) {
      if (!layout::is_first_fragment(slot.records)) continue;  // the consumer skips it
      // As the consumer assembles them: each fragment read once, copied in order.
      assembled.clear();
      const FragmentVerdict verdict = judge_fragments(
          slot, position, slot_size, count - i,
          [&](std::uint32_t j) { return fields_at(position + j); },
          [&](std::uint32_t j, std::uint32_t length) {
            const std::byte* from = slot_at(position + j) + sizeof(layout::SlotHeader);
            assembled.insert(assembled.end(), from, from + length);
          });
      if (verdict.whole) check(assembled);
      i += verdict.slots - 1;
    } else {
      sum += split_records(payload, slot.length, slot.records, read) ? 1 : 0;
    }
  }
  delete[] ring;
  g_sink = sum;  // the reads must happen
  return 0;
}
