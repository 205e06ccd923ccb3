// Writes the fuzzers' seed corpus: valid inputs the fuzzers then mutate.
//   shmq-fuzz-seeds DIR   creates DIR/header/* and DIR/slots/*
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "shmq/detail/header_validation.hpp"
#include "shmq/detail/message_format.hpp"

namespace fs = std::filesystem;
using namespace shmq;

namespace {

using Bytes = std::vector<std::uint8_t>;

template <class T>
void append(Bytes& out, const T& value) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
  out.insert(out.end(), p, p + sizeof value);
}

void save(const fs::path& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

// The layout fuzz_header.cpp reads: identity fields, file size, fstat facts.
Bytes header_seed(const Geometry& geometry) {
  Bytes out;
  const auto fields = make_identity(geometry, 1000);
  append(out, fields);
  append(out, fields.segment_size);
  append(out, (std::uint64_t{1000} << 32) | (0600U << 1) | 1U);
  return out;
}

// Fills a slot's payload with generated messages of `size` bytes packed as records, as many as
// fit; returns the payload length and sets `records`.
std::uint32_t pack_slot(std::uint8_t* payload, std::uint16_t slot_size, std::uint32_t size,
                        std::uint64_t position, std::uint32_t& records) {
  std::uint32_t used = 0;
  records = 0;
  while (slot_size - used >= layout::kRecordPrefix + size) {
    std::memcpy(payload + used, &size, sizeof size);
    message_format::write(
        std::span(reinterpret_cast<std::byte*>(payload + used + layout::kRecordPrefix), size), 7,
        position * 100 + records);
    used += layout::kRecordPrefix + size;
    ++records;
  }
  return used;
}

// The layout fuzz_slots.cpp reads: capacity-1, slot_size-1, first position, count, the slots.
// Slots hold one generated message each, or (packed) as many 20-byte ones as fit, or
// (fragmented) together one message in fragments.
enum class Fill : std::uint8_t { one_each, packed, fragmented };
Bytes slots_seed(std::uint8_t capacity, std::uint16_t slot_size, std::uint64_t first,
                 Fill fill = Fill::one_each) {
  Bytes out;
  append(out, static_cast<std::uint8_t>(capacity - 1));
  append(out, static_cast<std::uint16_t>(slot_size - 1));
  append(out, first);
  append(out, capacity);
  const std::size_t stride = layout::slot_stride_for(slot_size);
  Bytes ring(capacity * stride);
  std::vector<std::byte> whole(std::size_t{capacity} * slot_size);
  message_format::write(whole, 7, first);
  for (std::uint64_t position = first; position < first + capacity; ++position) {
    std::uint8_t* slot = ring.data() + (position % capacity) * stride;
    std::uint8_t* payload = slot + sizeof(layout::SlotHeader);
    const bool skipped = fill != Fill::fragmented && position % 5 == 4;
    const std::uint64_t stamp =
        layout::stamp(position, skipped ? layout::kSlotSkipped : layout::kSlotPublished);
    std::uint32_t records = 0;
    std::uint32_t length = slot_size;
    if (fill == Fill::packed) {
      length = pack_slot(payload, slot_size, 20, position, records);
    } else if (fill == Fill::fragmented) {
      const auto i = static_cast<std::uint32_t>(position - first);
      records = layout::fragment_records(i == 0, capacity - 1 - i);
      std::memcpy(payload, whole.data() + std::size_t{i} * slot_size, slot_size);
    } else if (slot_size >= message_format::kMinSize) {
      message_format::write(std::span(reinterpret_cast<std::byte*>(payload), slot_size), 7,
                            position);
    }
    std::memcpy(slot, &stamp, sizeof stamp);
    std::memcpy(slot + offsetof(layout::SlotHeader, length), &length, sizeof length);
    std::memcpy(slot + offsetof(layout::SlotHeader, records), &records, sizeof records);
  }
  out.insert(out.end(), ring.begin(), ring.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  fs::create_directories(dir / "header");
  fs::create_directories(dir / "slots");
  const Geometry geometries[] = {{1, 1, false, false},
                                 {8, 64, false, false},
                                 {1024, 1024, true, true},
                                 {200, 4096, true, false}};
  int n = 0;
  for (const auto& geometry : geometries) {
    save(dir / "header" / ("seed-" + std::to_string(n++)), header_seed(geometry));
  }
  save(dir / "slots" / "small", slots_seed(4, 16, 0));
  save(dir / "slots" / "wrapped", slots_seed(8, 64, 1'000'003));
  save(dir / "slots" / "large", slots_seed(3, 300, 41));
  save(dir / "slots" / "packed", slots_seed(4, 200, 77, Fill::packed));
  save(dir / "slots" / "fragmented", slots_seed(6, 40, 9, Fill::fragmented));
  return 0;
}
