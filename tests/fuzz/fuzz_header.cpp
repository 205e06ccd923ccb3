// libFuzzer target: the checks an opener makes before it trusts a segment. The input is a header's
// identity fields, the file's size and the facts fstat() reported. Whatever the bytes, validation
// either throws shmq::Error or returns a geometry that really describes a file of that size.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "shmq/detail/header_validation.hpp"
#include "shmq/errors.hpp"

namespace {

void expect(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shmq;
  fuzz::Input input(data, size);
  const auto fields = input.take<layout::IdentityFields>();
  const auto file_size = input.take<std::uint64_t>();
  const auto facts_bits = input.take<std::uint64_t>();
  const FileFacts facts{(facts_bits & 1) != 0, static_cast<std::uint32_t>(facts_bits >> 32),
                        static_cast<std::uint32_t>(facts_bits >> 1) & 07777U};
  try {
    check_file_facts(facts, QueueConfig{}, 1000, "fuzz");
    expect(facts.regular && facts.owner == 1000 && (facts.mode & ~0600U) == 0);
  } catch (const Error&) {
  }
  try {
    const Geometry geometry = validate_identity(fields, file_size, "fuzz");
    expect(geometry.capacity >= 1 && geometry.capacity <= layout::kMaxCapacity);
    expect(geometry.slot_size >= 1 && geometry.slot_size <= layout::kMaxSlotSize);
    // Every slot the geometry allows lies inside the file.
    expect(layout::kHeaderSize +
               std::uint64_t{geometry.capacity} * layout::slot_stride_for(geometry.slot_size) <=
           file_size);
  } catch (const Error&) {
  }
  return 0;
}
