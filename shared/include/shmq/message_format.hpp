// Generated, checkable messages (producer --count/--size, consumer --verify, tests, benchmark).
//
//   bytes 0-3   producer id (u32, little-endian as on the host)
//   bytes 4-7   checksum (u32) over id, sequence, length and every fill byte
//   bytes 8-15  sequence number (u64), 0, 1, 2, ... per producer
//   bytes 16-   fill, a pattern derived from id and sequence
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace shmq::message_format {

inline constexpr std::size_t kMinSize = 16;

// Writes a whole message into `out` (out.size() >= kMinSize).
void write(std::span<std::byte> out, std::uint32_t producer, std::uint64_t sequence) noexcept;

struct Decoded {
  std::uint32_t producer = 0;
  std::uint64_t sequence = 0;
};

enum class Check : std::uint8_t { ok, too_short, bad_checksum };

// Reads id and sequence and verifies the checksum.
[[nodiscard]] Check decode(std::span<const std::byte> message, Decoded& decoded) noexcept;

}  // namespace shmq::message_format
