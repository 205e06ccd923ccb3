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
#include <span>
#include <vector>

namespace shmq::message_format {

inline constexpr std::size_t kMinSize = 16;

struct Decoded {
  std::uint32_t producer = 0;
  std::uint64_t sequence = 0;
};

enum class Check : std::uint8_t { ok, too_short, bad_checksum };

// Writes messages of one producer and one length.
class Writer {
 public:
  Writer(std::uint32_t producer, std::size_t length);
  // Writes message `sequence` into out[0, length).
  void write(std::span<std::byte> out, std::uint64_t sequence) const noexcept;

 private:
  std::uint32_t producer_;
  std::vector<std::byte> pattern_;
  std::uint64_t key_;  // what the checksum binds besides the sequence
};

// Checks messages; remembers the pattern of the last (producer, length) it saw.
class Checker {
 public:
  [[nodiscard]] Check check(std::span<const std::byte> message, Decoded& decoded);

 private:
  std::uint32_t producer_ = 0;
  std::vector<std::byte> pattern_;
  std::uint64_t key_ = 0;
  bool primed_ = false;
};

// One-off conveniences (they rebuild the pattern every call).
void write(std::span<std::byte> out, std::uint32_t producer, std::uint64_t sequence);
[[nodiscard]] Check decode(std::span<const std::byte> message, Decoded& decoded);

}  // namespace shmq::message_format
