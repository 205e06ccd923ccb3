// The few parts of a queue's format that the public headers touch: a slot's header and a
// packed message's size prefix (WriteBatch writes messages in place, inline), and the roles a
// process attaches as (inspect.hpp reports them). The rest of the format is the library's own
// (detail/layout.hpp, which includes this).
#pragma once

#include <atomic>
#include <cstdint>

namespace shmq::layout {

enum class Role : std::uint32_t { none = 0, producer = 1, consumer = 2 };

// "producer", "consumer" or "none".
[[nodiscard]] constexpr const char* to_string(Role role) noexcept {
  return role == Role::producer ? "producer" : role == Role::consumer ? "consumer" : "none";
}

struct SlotHeader {
  std::atomic<std::uint64_t> stamp;  // (position << 3) | SlotState
  std::uint32_t length;              // payload bytes; untrusted: check against slot_size
  // 0: the payload is one message. n: it is n packed messages, each a u32 size then the bytes
  // (untrusted: must parse to exactly `length` bytes). With the top bit set: one fragment of a
  // message larger than a slot (detail/layout.hpp). Also keeps the payload 16-byte aligned.
  std::uint32_t records;
};

// The size prefix of each message in a packed slot.
inline constexpr std::uint32_t kRecordPrefix = sizeof(std::uint32_t);

}  // namespace shmq::layout
