// libFuzzer target: the consumer's reading of slots it has taken (the verdict, and the split of a
// packed slot into messages), and the verifier's decoding of the messages. The input is a ring's
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

  message_format::Checker checker;
  std::uint64_t sum = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint64_t position = first + i;
    const std::byte* slot = ring + (position % capacity) * stride;
    std::uint64_t stamp = 0;
    std::uint32_t length = 0;
    std::uint32_t records = 0;
    std::memcpy(&stamp, slot, sizeof stamp);
    std::memcpy(&length, slot + offsetof(layout::SlotHeader, length), sizeof length);
    std::memcpy(&records, slot + offsetof(layout::SlotHeader, records), sizeof records);
    if (judge_slot(stamp, length, position, slot_size) != SlotVerdict::message) continue;
    const std::byte* payload = slot + sizeof(layout::SlotHeader);
    const auto read = [&](std::uint32_t at, std::uint32_t n) {
      const std::span<const std::byte> message(payload + at, n);
      for (std::byte b : message) sum += static_cast<std::uint8_t>(b);  // touch every byte
      message_format::Decoded decoded;
      (void)checker.check(message, decoded);
    };
    if (records == 0) {
      read(0, length);
    } else {
      sum += split_records(payload, length, records, read) ? 1 : 0;
    }
  }
  delete[] ring;
  g_sink = sum;  // the reads must happen
  return 0;
}
