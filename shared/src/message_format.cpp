#include "shmq/message_format.hpp"

#include <cstring>

#include "shmq/short_bytes.hpp"

namespace shmq::message_format {
namespace {

constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15ULL;

std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 29;
  x *= kMultiplier;
  x ^= x >> 32;
  return x;
}

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

std::uint32_t checksum(std::uint64_t key, std::uint64_t sequence) noexcept {
  return static_cast<std::uint32_t>(mix(sequence ^ key));
}

}  // namespace

Writer::Writer(std::uint32_t producer, std::size_t length)
    : producer_(producer),
      pattern_(make_pattern(producer, length)),
      key_(stream_key(producer, length, pattern_)) {}

void Writer::write(std::span<std::byte> out, std::uint64_t sequence) const noexcept {
  // The fill only: the header is written below.
  short_copy(out.data() + kMinSize, pattern_.data() + kMinSize, pattern_.size() - kMinSize);
  const std::uint32_t sum = checksum(key_, sequence);
  std::memcpy(out.data(), &producer_, 4);
  std::memcpy(out.data() + 4, &sum, 4);
  std::memcpy(out.data() + 8, &sequence, 8);
}

Check Checker::check(std::span<const std::byte> message, Decoded& decoded) {
  if (message.size() < kMinSize) return Check::too_short;
  std::uint32_t stored = 0;
  std::memcpy(&decoded.producer, message.data(), 4);
  std::memcpy(&stored, message.data() + 4, 4);
  std::memcpy(&decoded.sequence, message.data() + 8, 8);
  if (!primed_ || decoded.producer != producer_ || message.size() != pattern_.size()) {
    producer_ = decoded.producer;
    pattern_ = make_pattern(producer_, message.size());
    key_ = stream_key(producer_, message.size(), pattern_);
    primed_ = true;
  }
  const bool fill_intact =
      short_equal(message.data() + kMinSize, pattern_.data() + kMinSize, message.size() - kMinSize);
  const bool header_intact = checksum(key_, decoded.sequence) == stored;
  return fill_intact && header_intact ? Check::ok : Check::bad_checksum;
}

void write(std::span<std::byte> out, std::uint32_t producer, std::uint64_t sequence) {
  Writer(producer, out.size()).write(out, sequence);
}

Check decode(std::span<const std::byte> message, Decoded& decoded) {
  return Checker{}.check(message, decoded);
}

}  // namespace shmq::message_format
