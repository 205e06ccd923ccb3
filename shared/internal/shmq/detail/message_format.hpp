// Generated, checkable messages (producer --count/--size, consumer --verify, tests).
//
//   bytes 0-3   producer id (u32, host byte order)
//   bytes 4-7   checksum (u32) of id, sequence, length and the fill
//   bytes 8-15  sequence number (u64), 0, 1, 2, ... per producer
//   bytes 16-   fill: a pattern fixed by (producer id, length)
// Any changed byte is caught: the header by the checksum, the fill by comparison with the pattern.
// Writer and Checker keep the pattern of the last (id, length) so a message costs one memcpy or
// memcmp plus one mix of the sequence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "shmq/detail/short_bytes.hpp"

namespace shmq::message_format {

inline constexpr std::size_t kMinSize = 16;

struct Decoded {
  std::uint32_t producer = 0;
  std::uint64_t sequence = 0;
};

enum class Check : std::uint8_t { ok, too_short, bad_checksum };

namespace detail {
inline constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15ULL;

// A 64-bit finaliser (splitmix64's): every input bit moves about half the output bits.
[[nodiscard]] constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 29;
  x *= kMultiplier;
  x ^= x >> 32;
  return x;
}

// The checksum of message `sequence` of the stream whose key (producer, length, fill) is `key`.
[[nodiscard]] constexpr std::uint32_t checksum(std::uint64_t key, std::uint64_t sequence) noexcept {
  return static_cast<std::uint32_t>(mix(sequence ^ key));
}
}  // namespace detail

// Writes messages of one producer and one length. write() is inline: it runs once per message.
class Writer {
 public:
  Writer(std::uint32_t producer, std::size_t length);
  // Writes message `sequence` into out[0, length).
  void write(std::span<std::byte> out, std::uint64_t sequence) const noexcept {
    // The fill, then the header over the pattern's zeros.
    short_copy(out.data() + kMinSize, pattern_.data() + kMinSize, pattern_.size() - kMinSize);
    const std::uint32_t sum = detail::checksum(key_, sequence);
    std::memcpy(out.data(), &producer_, 4);
    std::memcpy(out.data() + 4, &sum, 4);
    std::memcpy(out.data() + 8, &sequence, 8);
  }

 private:
  std::uint32_t producer_;
  std::vector<std::byte> pattern_;
  std::uint64_t key_;  // what the checksum binds besides the sequence
};

// Checks messages; remembers the pattern of the last (producer, length) it saw. check() is
// inline for the same reason; a new (producer, length) takes the out-of-line prime().
class Checker {
 public:
  [[nodiscard]] Check check(std::span<const std::byte> message, Decoded& decoded) {
    if (message.size() < kMinSize) return Check::too_short;
    std::uint32_t stored = 0;
    std::memcpy(&decoded.producer, message.data(), 4);
    std::memcpy(&stored, message.data() + 4, 4);
    std::memcpy(&decoded.sequence, message.data() + 8, 8);
    if (!primed_ || decoded.producer != producer_ || message.size() != pattern_.size()) {
      prime(decoded.producer, message.size());
    }
    const bool fill_intact = short_equal(message.data() + kMinSize, pattern_.data() + kMinSize,
                                         message.size() - kMinSize);
    const bool header_intact = detail::checksum(key_, decoded.sequence) == stored;
    return fill_intact && header_intact ? Check::ok : Check::bad_checksum;
  }

 private:
  void prime(std::uint32_t producer, std::size_t length);

  std::uint32_t producer_ = 0;
  std::vector<std::byte> pattern_;
  std::uint64_t key_ = 0;
  bool primed_ = false;
};

// One-off conveniences (they rebuild the pattern every call).
void write(std::span<std::byte> out, std::uint32_t producer, std::uint64_t sequence);
[[nodiscard]] Check decode(std::span<const std::byte> message, Decoded& decoded);

}  // namespace shmq::message_format
