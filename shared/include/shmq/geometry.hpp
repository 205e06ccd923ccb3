// What a queue is made of, and what a caller asks for when it creates or opens one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace shmq {

// The shape of an existing queue, validated: every value is within the layout's limits.
struct Geometry {
  std::uint32_t capacity = 0;   // slots
  std::uint32_t slot_size = 0;  // payload bytes per slot
  bool multi_producer = false;
  bool multi_consumer = false;

  friend bool operator==(const Geometry&, const Geometry&) = default;
};

inline constexpr std::uint32_t kDefaultCapacity = 1024;
inline constexpr std::uint32_t kDefaultSlotSize = 1024;

// Creation parameters. A field left empty takes the default when creating and accepts whatever
// an existing queue has when opening; a field that is set must match an existing queue.
struct QueueConfig {
  std::optional<std::uint32_t> capacity;
  std::optional<std::uint32_t> slot_size;
  std::optional<bool> multi_producer;
  std::optional<bool> multi_consumer;
  // Mode bits of a segment we create, and the most an existing one may grant: opening a queue
  // whose file grants more (say, group or world access) is refused.
  unsigned permissions = 0600;
  // A uid besides our own whose queues we accept (a service account that creates them).
  std::optional<std::uint32_t> allowed_owner;
  // How long an opener waits for a creator that is still initialising the segment.
  std::chrono::milliseconds ready_timeout{2000};

  [[nodiscard]] Geometry geometry_to_create() const;
};

enum class OpenMode : std::uint8_t { create_only, open_only, open_or_create };

}  // namespace shmq
