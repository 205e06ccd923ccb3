#include "shmq/detail/message_format.hpp"

namespace shmq::message_format {
namespace {

using detail::kMultiplier;
using detail::mix;

// The whole message as it is before the header is written: zeros, then the fill.
std::vector<std::byte> make_pattern(std::uint32_t producer, std::size_t length) {
  std::vector<std::byte> pattern(length);
  std::uint64_t state = mix(producer ^ (std::uint64_t{length} << 32));
  for (std::size_t i = kMinSize; i < length; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    pattern[i] = static_cast<std::byte>(state >> 56);
  }
  return pattern;
}

std::uint32_t hash_fill(std::span<const std::byte> pattern) {
  std::uint64_t h = pattern.size();
  for (std::size_t i = kMinSize; i < pattern.size(); ++i) {
    h = (h ^ std::to_integer<std::uint64_t>(pattern[i])) * kMultiplier;
  }
  return static_cast<std::uint32_t>(mix(h));
}

// What the checksum binds besides the sequence: the producer, the length and the fill. Fixed per
// (producer, length), so a message costs one mix.
std::uint64_t stream_key(std::uint32_t producer, std::size_t length,
                         std::span<const std::byte> pattern) noexcept {
  return mix((std::uint64_t{producer} << 32) ^ (length * kMultiplier) ^ hash_fill(pattern));
}

}  // namespace

Writer::Writer(std::uint32_t producer, std::size_t length)
    : producer_(producer),
      pattern_(make_pattern(producer, length)),
      key_(stream_key(producer, length, pattern_)) {}

void Checker::prime(std::uint32_t producer, std::size_t length) {
  producer_ = producer;
  pattern_ = make_pattern(producer, length);
  key_ = stream_key(producer, length, pattern_);
  primed_ = true;
}

void write(std::span<std::byte> out, std::uint32_t producer, std::uint64_t sequence) {
  Writer(producer, out.size()).write(out, sequence);
}

Check decode(std::span<const std::byte> message, Decoded& decoded) {
  return Checker{}.check(message, decoded);
}

}  // namespace shmq::message_format
