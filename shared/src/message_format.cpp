#include "shmq/message_format.hpp"

#include <cstring>

namespace shmq::message_format {
namespace {

constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15ULL;

std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 29;
  return x;
}

std::uint64_t fill_word(std::uint32_t producer, std::uint64_t sequence, std::size_t k) noexcept {
  return (sequence * kMultiplier) ^ (k * 0x94D049BB133111EBULL) ^ producer;
}

// Hashes the header fields and the fill eight bytes at a time.
std::uint32_t checksum(std::span<const std::byte> message, std::uint32_t producer,
                       std::uint64_t sequence) noexcept {
  std::uint64_t h = mix(producer ^ (sequence * kMultiplier) ^ (message.size() << 40));
  std::size_t offset = kMinSize;
  for (; offset + 8 <= message.size(); offset += 8) {
    std::uint64_t word;
    std::memcpy(&word, message.data() + offset, 8);
    h = (h ^ word) * kMultiplier;
  }
  for (; offset < message.size(); ++offset) {
    h = (h ^ std::to_integer<std::uint64_t>(message[offset])) * kMultiplier;
  }
  h = mix(h);
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

}  // namespace

void write(std::span<std::byte> out, std::uint32_t producer, std::uint64_t sequence) noexcept {
  std::memcpy(out.data(), &producer, 4);
  std::memcpy(out.data() + 8, &sequence, 8);
  std::size_t offset = kMinSize;
  for (std::size_t k = 0; offset + 8 <= out.size(); offset += 8, ++k) {
    const std::uint64_t word = fill_word(producer, sequence, k);
    std::memcpy(out.data() + offset, &word, 8);
  }
  for (; offset < out.size(); ++offset) out[offset] = static_cast<std::byte>(offset ^ sequence);
  const std::uint32_t sum = checksum(out, producer, sequence);
  std::memcpy(out.data() + 4, &sum, 4);
}

Check decode(std::span<const std::byte> message, Decoded& decoded) noexcept {
  if (message.size() < kMinSize) return Check::too_short;
  std::uint32_t stored = 0;
  std::memcpy(&decoded.producer, message.data(), 4);
  std::memcpy(&stored, message.data() + 4, 4);
  std::memcpy(&decoded.sequence, message.data() + 8, 8);
  return checksum(message, decoded.producer, decoded.sequence) == stored ? Check::ok
                                                                         : Check::bad_checksum;
}

}  // namespace shmq::message_format
