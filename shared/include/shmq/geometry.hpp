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

  // The largest message the queue carries: a slot's payload, or a quarter of the ring's payload
  // bytes if that is more (a message larger than a slot goes in fragments, one per slot).
  [[nodiscard]] constexpr std::uint64_t max_message_size() const noexcept {
    const std::uint64_t quarter = std::uint64_t{capacity / 4} * slot_size;
    return quarter > slot_size ? quarter : slot_size;
  }

  friend bool operator==(const Geometry&, const Geometry&) = default;
};

inline constexpr std::uint32_t kDefaultCapacity = 1024;
inline constexpr std::uint32_t kDefaultSlotSize = 1024;

// Creation parameters. A field left empty takes the default when creating and accepts whatever
// an existing queue has when opening; a field that is set must match an existing queue.
struct QueueConfig {
  std::optional<std::uint32_t> capacity;
  std::optional<std::uint32_t> slot_size;
  // Whether any number of producers (consumers) may attach, or only one: a single side is an
  // explicit promise of exclusivity (a second attacher is refused), and spares that side the
  // mutex. Default when creating: any number (multi).
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
