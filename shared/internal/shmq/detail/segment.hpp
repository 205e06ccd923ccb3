// A mapped queue segment: creation, opening, validation, removal. Owns the mapping.
//
// Creation is exclusive (O_EXCL); with open_or_create the loser of a creation race opens, and an
// opener waits up to QueueConfig::ready_timeout for the creator to mark the segment ready. After
// opening, every identity field has been validated and the geometry is held locally: nothing
// later re-reads sizes from shared memory.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "shmq/detail/layout.hpp"
#include "shmq/geometry.hpp"

namespace shmq {

class Segment {
 public:
  // Throws shmq::Error on every failure; never returns a half-usable segment.
  static Segment open(const std::string& name, OpenMode mode, const QueueConfig& config);
  // Maps an existing queue read-only, for looking at it: never attaches, never writes. Owner and
  // mode are not enforced (nothing is trusted to be written), the identity is validated as usual;
  // a file that is no valid queue and belongs to another user (not config.allowed_owner) is
  // refused as incompatible, never as corrupt. The header must then only be read.
  static Segment inspect(const std::string& name, const QueueConfig& config = {});
  // Removes the name (mappings that exist stay valid). Returns false if there was no such queue;
  // throws shmq::Error if it may not be removed (another user's, in a sticky /dev/shm).
  static bool remove(const std::string& name);

  Segment(Segment&&) noexcept;
  Segment& operator=(Segment&&) noexcept;
  ~Segment();

  [[nodiscard]] layout::Header& header() const noexcept { return *header_; }
  [[nodiscard]] const Geometry& geometry() const noexcept { return geometry_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // The creator's random id of this queue, read once at open (see IdentityFields::incarnation).
  [[nodiscard]] std::uint64_t incarnation() const noexcept { return incarnation_; }
  [[nodiscard]] bool created() const noexcept { return created_; }
  // Whether open_or_create found a segment whose creator died before finishing it, and
  // replaced it with a new one.
  [[nodiscard]] bool replaced_abandoned() const noexcept { return replaced_abandoned_; }
  [[nodiscard]] std::size_t slot_stride() const noexcept { return slot_stride_; }
  // The descriptor the segment was opened with (read-only for inspect()); owned by the segment.
  [[nodiscard]] int file_descriptor() const noexcept;
  // Whether another process truncated the file under us. The mapping then reads as zeros (see
  // truncation_guard.hpp) and nothing read from it may be trusted; handles report Status::lost.
  [[nodiscard]] const std::atomic<bool>& lost_flag() const noexcept { return *lost_; }
  [[nodiscard]] bool lost() const noexcept {
    // relaxed: the flag orders nothing; it only stops us from trusting the zeros.
    return lost_->load(std::memory_order_relaxed);
  }
  // Start of slot `index`; index must be < capacity (callers mask positions first).
  [[nodiscard]] std::byte* slot(std::uint64_t index) const noexcept {
    return slots_ + index * slot_stride_;
  }

  struct Mapping;  // the Boost objects; defined in segment.cpp

 private:
  Segment(std::unique_ptr<Mapping> mapping, std::string name, bool created);

  std::unique_ptr<Mapping> mapping_;
  std::string name_;
  bool created_ = false;
  bool replaced_abandoned_ = false;
  layout::Header* header_ = nullptr;
  std::byte* slots_ = nullptr;
  const std::atomic<bool>* lost_ = nullptr;
  std::size_t slot_stride_ = 0;
  Geometry geometry_{};
  std::uint64_t incarnation_ = 0;
};

}  // namespace shmq
